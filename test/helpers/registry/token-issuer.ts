/**
 * An in-process Docker token server (the `realm` of distribution's `auth.token`), on 127.0.0.1.
 *
 * It speaks both flows of the Docker token protocol
 * (https://github.com/distribution/distribution/blob/main/docs/content/spec/auth/token.md and
 * https://github.com/distribution/distribution/blob/main/docs/content/spec/auth/oauth.md):
 * - `GET <realm>?service=…&scope=…&scope=…` with optional Basic credentials, answering
 *   `{token, access_token, expires_in, issued_at}` (+ `refresh_token` when `offline_token=true`
 *   and the caller authenticated);
 * - the OAuth2 `POST <realm>` form with `grant_type=password` (`username`, `password`) or
 *   `grant_type=refresh_token` (`refresh_token`), plus `client_id` (required), `service`,
 *   `scope` (space-separated) and `access_type=offline` for a refresh token; answering
 *   `{access_token, token, scope, expires_in, issued_at}` (+ `refresh_token`).
 *
 * Like real token servers, it grants the intersection of what was asked and what the policy
 * allows, and never fails for missing rights: by default the test user gets every requested
 * `pull`/`push`/`delete`/`*`, anonymous callers only `pull`. Wrong credentials → 401; a `service`
 * other than ours → 400 (a client bug worth catching). Every request is recorded in `requests`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { SigningCert } from './certs.js'
import { makeClaims, parseScope, signToken, type AccessEntry } from './jwt.js'

/** One request the issuer received, for tests that assert on scopes and flows. */
export interface TokenRequestRecord {
  method: 'GET' | 'POST' | string
  /** Requested scopes, one string each (`repository:x/y:pull,push`), in request order. */
  scopes: string[]
  /** The authenticated account; undefined for anonymous requests and failed logins. */
  account?: string
  /** `grant_type` of a POST. */
  grantType?: string
  service?: string
  clientId?: string
  /** A refresh token was asked for (`offline_token=true` / `access_type=offline`). */
  offline: boolean
  /** HTTP status of the answer. */
  status: number
  /** What the issued token grants (empty when no token was issued). */
  granted: AccessEntry[]
}

/** Which of `requested.actions` `account` (undefined = anonymous) gets. */
export type AccessPolicy = (account: string | undefined, requested: AccessEntry) => string[]

/** The default policy: the test user gets pull/push/delete/*, anonymous callers pull only. */
export const defaultPolicy: AccessPolicy = (account, requested) => {
  const allowed = account === undefined ? ['pull'] : ['pull', 'push', 'delete', '*']
  return requested.actions.filter((a) => allowed.includes(a))
}

export interface TokenIssuerOptions {
  /** `service` of the registry: the token audience. */
  service: string
  /** `iss` claim; must equal the registry's `auth.token.issuer`. */
  issuer: string
  signer: SigningCert
  username: string
  password: string
  /** Token lifetime; default 300 s. */
  ttlSeconds?: number
  /** Default {@link defaultPolicy}. Replaceable later through `TokenIssuer.policy`. */
  policy?: AccessPolicy
}

export interface TokenIssuer {
  /** The realm URL, `http://127.0.0.1:<port>/token`. */
  readonly realm: string
  /** Every request received, oldest first. Tests may clear it (`requests.length = 0`). */
  readonly requests: TokenRequestRecord[]
  /** The refresh token issued to the test user (fixed for this issuer). */
  readonly refreshToken: string
  /** The grant policy in force; assign to change what later tokens grant. */
  policy: AccessPolicy
  /** Mints a token directly (e.g. an expired one, `ttlSeconds < 0`), bypassing HTTP and the policy. */
  mintToken(fields: { account?: string; access: AccessEntry[]; ttlSeconds?: number }): string
  stop(): Promise<void>
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Parses `Authorization: Basic …`; undefined when absent or not Basic. */
function basicCredentials(req: IncomingMessage): { username: string; password: string } | undefined {
  const header = req.headers.authorization
  if (!header || !/^basic /i.test(header)) return undefined
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return { username: decoded, password: '' }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/** Starts the issuer on a random 127.0.0.1 port. */
export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const ttlSeconds = options.ttlSeconds ?? 300
  const refreshToken = randomBytes(24).toString('hex')
  const requests: TokenRequestRecord[] = []
  const state = { policy: options.policy ?? defaultPolicy }

  const checkLogin = (username: string, password: string) =>
    sameSecret(username, options.username) && sameSecret(password, options.password)

  /** The token for `account` and `scopes`, with the grant filtered through the policy. */
  const issue = (account: string | undefined, scopes: string[]) => {
    const granted: AccessEntry[] = []
    for (const scope of scopes) {
      const requested = parseScope(scope)
      if (!requested) continue // malformed scopes are ignored, as real token servers do
      const actions = state.policy(account, requested)
      if (actions.length > 0) granted.push({ ...requested, actions })
    }
    const token = signToken(
      makeClaims({ issuer: options.issuer, service: options.service, account, access: granted, ttlSeconds }),
      options.signer,
    )
    return { token, granted, issuedAt: new Date().toISOString() }
  }

  const handleGet = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const scopes = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean)
    const service = url.searchParams.get('service') ?? undefined
    const offline = url.searchParams.get('offline_token') === 'true'
    const record: TokenRequestRecord = {
      method: 'GET',
      scopes,
      service,
      offline,
      status: 0,
      granted: [],
      clientId: url.searchParams.get('client_id') ?? undefined,
    }
    requests.push(record)
    const creds = basicCredentials(req)
    if (creds && !checkLogin(creds.username, creds.password)) {
      record.status = 401
      return sendJson(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] },
        {
          'WWW-Authenticate': `Basic realm="${options.issuer}"`,
        },
      )
    }
    if (service !== undefined && service !== options.service) {
      record.status = 400
      return sendJson(res, 400, { errors: [{ code: 'DENIED', message: `unknown service ${JSON.stringify(service)}` }] })
    }
    record.account = creds?.username
    const { token, granted, issuedAt } = issue(record.account, scopes)
    record.status = 200
    record.granted = granted
    sendJson(res, 200, {
      token,
      access_token: token,
      expires_in: ttlSeconds,
      issued_at: issuedAt,
      ...(offline && record.account !== undefined ? { refresh_token: refreshToken } : {}),
    })
  }

  const handlePost = async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams(await readBody(req))
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean)
    const grantType = form.get('grant_type') ?? undefined
    const service = form.get('service') ?? undefined
    const offline = form.get('access_type') === 'offline'
    const record: TokenRequestRecord = {
      method: 'POST',
      scopes,
      grantType,
      service,
      offline,
      status: 0,
      granted: [],
      clientId: form.get('client_id') ?? undefined,
    }
    requests.push(record)
    const fail = (status: number, error: string, description: string) => {
      record.status = status
      sendJson(res, status, { error, error_description: description })
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return fail(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded')
    }
    if (!record.clientId) return fail(400, 'invalid_request', 'client_id is required')
    if (service !== undefined && service !== options.service)
      return fail(400, 'invalid_request', `unknown service ${JSON.stringify(service)}`)
    let account: string
    if (grantType === 'password') {
      const username = form.get('username') ?? ''
      if (!checkLogin(username, form.get('password') ?? '')) return fail(401, 'invalid_grant', 'incorrect username or password')
      account = username
    } else if (grantType === 'refresh_token') {
      if (!sameSecret(form.get('refresh_token') ?? '', refreshToken)) return fail(401, 'invalid_grant', 'invalid refresh token')
      account = options.username
    } else {
      return fail(400, 'unsupported_grant_type', `unsupported grant_type ${JSON.stringify(grantType)}`)
    }
    record.account = account
    const { token, granted, issuedAt } = issue(account, scopes)
    record.status = 200
    record.granted = granted
    sendJson(res, 200, {
      access_token: token,
      token,
      scope: scopes.join(' '),
      expires_in: ttlSeconds,
      issued_at: issuedAt,
      ...(offline ? { refresh_token: refreshToken } : {}),
    })
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== '/token') return sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] })
    if (req.method === 'GET') return handleGet(req, res, url)
    if (req.method === 'POST') {
      handlePost(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(err) })
        else res.destroy()
      })
      return
    }
    res.writeHead(405, { Allow: 'GET, POST' }).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  // A forgotten stop() must not keep the test process alive.
  server.unref()
  const { port } = server.address() as AddressInfo

  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    refreshToken,
    get policy() {
      return state.policy
    },
    set policy(p: AccessPolicy) {
      state.policy = p
    },
    mintToken: (fields) =>
      signToken(
        makeClaims({
          issuer: options.issuer,
          service: options.service,
          account: fields.account,
          access: fields.access,
          ttlSeconds: fields.ttlSeconds ?? ttlSeconds,
        }),
        options.signer,
      ),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
