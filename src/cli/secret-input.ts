/**
 * Reading a secret: all of stdin (for --password-stdin, with the trailing newline removed, as
 * docker login does), or a prompt on the terminal that does not echo what is typed.
 */
import { readBounded } from '../util/streams.js'
import { UsageError } from '../errors.js'

const MAX_SECRET_BYTES = 64 * 1024

export async function readSecretFromStdin(): Promise<string> {
  const text = (await readBounded(process.stdin, MAX_SECRET_BYTES, 'the secret on stdin')).toString('utf8')
  const secret = text.replace(/\r?\n$/, '')
  if (secret.length === 0) throw new UsageError('nothing was read from stdin')
  return secret
}

/** Asks on stderr and reads one line from the terminal without echoing it. */
export async function promptSecret(question: string): Promise<string> {
  const stdin = process.stdin
  if (!stdin.isTTY)
    throw new UsageError('no terminal to ask for the password on', {
      suggestions: ['pipe it in: … | ocibundle login <registry> -u <user> --password-stdin'],
    })
  process.stderr.write(question)
  stdin.setRawMode(true)
  stdin.resume()
  let value = ''
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData)
            resolve(value)
            return
          }
          if (ch === '\u0003') {
            stdin.off('data', onData)
            reject(new UsageError('cancelled'))
            return
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
          else value += ch
        }
      }
      stdin.on('data', onData)
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    process.stderr.write('\n')
  }
}
