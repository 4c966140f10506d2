/**
 * A request and the reading of its answer's body as one retryable unit. RegistryClient retries
 * requests that got no answer; a body that breaks off or stalls after the answer began is
 * retried here, by the same policy. Content that fails verification (a byte altered, a short
 * body) is requested once more over new connections: a second GET of content-addressed data
 * costs little and often succeeds where a flaky proxy or connection spoilt the first.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { isIntegrityFailure } from '../../content/verify.js'
import { releaseBody, type RegistryClient, type RegistryRequest, type RegistryResponse } from './client.js'
import { timeoutsOf } from './timeouts.js'
import { bodyError, isTransportFailure } from './transport-errors.js'

/**
 * Sends `req` and returns what `read` makes of the answer. `read` must consume or release the
 * body. A transport failure while reading is retried per the client's retry policy (and then
 * thrown as a NetworkError); a DigestMismatchError or SizeMismatchError from `read` is retried
 * once, after renewConnections. Anything else `read` or the request throws is thrown as it is.
 */
export async function requestAndRead<T>(
  client: RegistryClient,
  req: RegistryRequest,
  read: (res: RegistryResponse) => Promise<T>,
): Promise<T> {
  let verificationRetried = false
  for (let attempt = 0; ; attempt++) {
    const res = await client.request(req)
    try {
      return await read(res)
    } catch (err) {
      releaseBody(res.body)
      if (isIntegrityFailure(err) && !verificationRetried && !req.signal?.aborted) {
        verificationRetried = true
        client.renewConnections(req.registry)
        attempt--
        continue
      }
      const delay = isTransportFailure(err) && !req.signal?.aborted ? client.retryPolicy.delayFor(attempt, { error: err }) : undefined
      if (delay === undefined) throw bodyError(`the answer to ${req.method}`, res.url, err, timeoutsOf(client.hostConfig(req.registry)))
      await sleep(delay, undefined, req.signal ? { signal: req.signal } : undefined)
    }
  }
}
