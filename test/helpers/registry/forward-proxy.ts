/**
 * A real forward proxy for tests: Debian's tinyproxy (1.11), with Basic proxy authentication,
 * CONNECT tunnels to any port and absolute-URI forwarding of plain HTTP, on 127.0.0.1. Its log
 * lists every request it received ("Request (file descriptor N): CONNECT host:port HTTP/1.1"),
 * which is how tests prove that traffic went through it (see tinyproxy.conf(5):
 * https://tinyproxy.github.io/#documentation).
 *
 * tinyproxy 1.11 answers wrong proxy credentials with 401 and WWW-Authenticate where RFC 9110
 * says 407 and Proxy-Authenticate (tinyproxy/tinyproxy#532, fixed after 1.11.1): over CONNECT
 * that is a refused tunnel like any other, but a forwarded plain-HTTP request then sees a 401
 * that looks like the registry's own.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { requireBinary } from './bins.js'
import { freePort } from './ports.js'
import { removeOnExit, spawnManaged, type ManagedProcess } from './process.js'

export interface ForwardProxyOptions {
  /** Proxy user and password (BasicAuth); none → no authentication. */
  username?: string
  password?: string
}

export interface ForwardProxy {
  /** `http://[user:password@]127.0.0.1:<port>`: the URL clients are given. */
  url: string
  /** `127.0.0.1:<port>`. */
  host: string
  /** Request lines the proxy received, in order: `CONNECT 127.0.0.1:5000`, `GET http://…/v2/`. */
  requests(): Promise<string[]>
  /** Kills tinyproxy and removes its directory. Idempotent. */
  stop(): Promise<void>
}

/** Starts tinyproxy on a free port of 127.0.0.1 and resolves once it accepts connections. */
export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const binary = requireBinary('tinyproxy')
  const dir = await mkdtemp(join(tmpdir(), 'ocibundle-proxy-'))
  const forget = removeOnExit(dir)
  const log = join(dir, 'tinyproxy.log')
  let proc: ManagedProcess | undefined
  const cleanup = async (): Promise<void> => {
    await proc?.stop()
    await rm(dir, { recursive: true, force: true })
    forget()
  }
  try {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort()
      const conf = join(dir, 'tinyproxy.conf')
      await writeFile(
        conf,
        [
          `Port ${port}`,
          'Listen 127.0.0.1',
          'Timeout 60',
          `LogFile "${log}"`,
          // Connect level logs each request line, which the tests read.
          'LogLevel Connect',
          'MaxClients 64',
          'DisableViaHeader Yes',
          // No ConnectPort line: CONNECT is allowed to every port (the registries' random ones).
          ...(options.username !== undefined ? [`BasicAuth ${options.username} ${options.password ?? ''}`] : []),
          '',
        ].join('\n'),
      )
      await writeFile(log, '')
      proc = spawnManaged(binary, ['-d', '-c', conf], { cwd: dir })
      const ready = await waitListening(proc, port)
      if (ready) {
        const auth =
          options.username !== undefined ? `${encodeURIComponent(options.username)}:${encodeURIComponent(options.password ?? '')}@` : ''
        let stopped: Promise<void> | undefined
        return {
          url: `http://${auth}127.0.0.1:${port}`,
          host: `127.0.0.1:${port}`,
          requests: async () =>
            [...(await readFile(log, 'utf8')).matchAll(/Request \(file descriptor \d+\): (\S+) (\S+) HTTP/g)].map((m) => `${m[1]} ${m[2]}`),
          stop: () => (stopped ??= cleanup()),
        }
      }
      await proc.stop()
      if (attempt >= 5) throw new Error(`tinyproxy did not start:\n${proc.logs()}\n${await readFile(log, 'utf8')}`)
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/** Whether tinyproxy accepts connections on `port` within 10 s (false when it exited: the port was taken). */
async function waitListening(proc: ManagedProcess, port: number): Promise<boolean> {
  const { connect } = await import('node:net')
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (proc.exited()) return false
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return true
    await sleep(25)
  }
  return false
}
