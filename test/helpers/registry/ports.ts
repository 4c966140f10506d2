/** Free TCP ports on 127.0.0.1 for servers we do not control the binding of (the registry). */
import { createServer } from 'node:net'

/**
 * A port that was free a moment ago: bind port 0, read the port, close. Another process can take
 * it before the registry binds it, so callers retry on EADDRINUSE.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port ? resolve(port) : reject(new Error('could not read the port of a free-port probe'))))
    })
  })
}
