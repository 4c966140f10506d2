/**
 * A fake network on undici's MockAgent for auth tests: each origin gets a handler function, and
 * every request (method, URL, lower-case headers, body) is recorded for assertions.
 */
import { MockAgent } from 'undici'

export interface RecordedRequest {
  method: string
  url: URL
  headers: Record<string, string>
  body: string
}

export interface MockAnswer {
  status: number
  headers?: Record<string, string>
  /** Objects are sent as JSON. */
  body?: string | object
}

/** Synchronous: MockAgent's reply callbacks cannot wait. */
export type MockHandler = (req: RecordedRequest) => MockAnswer

export interface MockNetwork {
  agent: MockAgent
  requests: RecordedRequest[]
  /** Requests to one origin, as `METHOD path?query`. */
  lines(origin: string): string[]
  close(): Promise<void>
}

/** Routes every request to `routes[origin]`; other origins fail (no real network). */
export function mockNetwork(routes: Record<string, MockHandler>): MockNetwork {
  const agent = new MockAgent()
  agent.disableNetConnect()
  const requests: RecordedRequest[] = []
  for (const [origin, handler] of Object.entries(routes)) {
    agent
      .get(origin)
      .intercept({ path: () => true, method: () => true })
      .reply((opts) => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries((opts.headers ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = String(v)
        const req: RecordedRequest = {
          method: opts.method,
          url: new URL(opts.path, origin),
          headers,
          body: typeof opts.body === 'string' ? opts.body : '',
        }
        requests.push(req)
        const answer = handler(req)
        const body = typeof answer.body === 'object' ? JSON.stringify(answer.body) : (answer.body ?? '')
        return { statusCode: answer.status, data: body, responseOptions: { headers: answer.headers ?? {} } }
      })
      .persist()
  }
  return {
    agent,
    requests,
    lines: (origin) => requests.filter((r) => r.url.origin === origin).map((r) => `${r.method} ${r.url.pathname}${r.url.search}`),
    close: () => agent.close(),
  }
}
