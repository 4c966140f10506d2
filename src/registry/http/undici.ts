/**
 * The parts of undici we use, loaded from their own modules rather than the package index. The
 * index also loads fetch, WebSocket, caches, mocks and interceptors: 110 modules and ~45 ms of
 * every CLI start, against 25 modules here. undici has no `exports` map, so these paths are
 * reachable, but they are internals: package.json pins undici to one exact version, and
 * test/registry/http/undici.test.ts fails when the pin, the installed version or these entry
 * points drift apart (every registry test goes through them too).
 */
import { createRequire } from 'node:module'
import type { Agent as UndiciAgent, Dispatcher } from 'undici'

const require = createRequire(import.meta.url)

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent
const apiRequest = require('undici/lib/api/api-request.js') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>
const { getGlobalDispatcher } = require('undici/lib/global.js') as { getGlobalDispatcher(): Dispatcher }

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Dispatcher.HttpMethod
  dispatcher?: Dispatcher
}

/** undici's `request(url, options)`: one exchange through `dispatcher` (default: the global one). */
export function request(url: URL | string, options: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
  const { dispatcher = getGlobalDispatcher(), ...rest } = options
  const u = typeof url === 'string' ? new URL(url) : url
  return apiRequest.call(dispatcher, { ...rest, method: rest.method ?? 'GET', origin: u.origin, path: u.pathname + u.search })
}
