/**
 * P0 of the checklist (docs/registries.md): can we talk to the registry, how does it ask for
 * credentials, do ours work, and where may the probe write. The only step that stops a probe:
 * without an answer or without push rights there is nothing to measure.
 */
import { messageOf, OcibundleError } from '../../errors.js'
import { parseWwwAuthenticate } from '../../registry/auth/challenge.js'
import { headerValue, RegistryClient } from '../../registry/http/client.js'
import { AuthenticationError, RegistryResponseError } from '../../registry/http/response-errors.js'
import { NotARegistryError } from '../../registry/http/response-errors.js'
import { noRetry } from '../../registry/http/retry.js'
import { discard } from '../../registry/responses.js'
import { formatEvidence, type AuthInfo } from '../capabilities.js'
import { cancelUpload, locationOf, startUpload } from './transfer.js'
import { withNote, type Answer, type ProbeSession } from './probe-session.js'

/**
 * P0.1: `GET /v2/` without credentials (through a client that has none, so the challenge is
 * seen), then with the probe's client. Throws OcibundleError when the registry cannot be reached
 * or does not serve `/v2/`, AuthenticationError when it refuses our credentials.
 */
export async function probeConnection(s: ProbeSession): Promise<AuthInfo> {
  const anonymous = new RegistryClient({
    hosts: { [s.registry]: s.client.hostConfig(s.registry) },
    retry: noRetry,
    ...(s.client.proxies && { proxies: s.client.proxies }),
  })
  let auth: AuthInfo
  try {
    const res = await anonymous.request({
      method: 'GET',
      registry: s.registry,
      path: '/v2/',
      scopes: [],
      expect: [200, 401],
      ...(s.signal && { signal: s.signal }),
    })
    await discard(res)
    const challenge = parseWwwAuthenticate(headerValue(res.headers['www-authenticate']) ?? '')[0]
    if (res.status === 200 || challenge === undefined) {
      auth = { scheme: res.status === 200 ? 'none' : 'unknown' }
    } else {
      const { realm, service } = challenge.params
      auth = { scheme: challenge.scheme, ...(realm !== undefined && { realm }), ...(service !== undefined && { service }) }
    }
  } catch (err) {
    throw unreachable(s, err)
  } finally {
    await anonymous.close()
  }
  try {
    await discard(
      await s.client.request({ method: 'GET', registry: s.registry, path: '/v2/', scopes: [], ...(s.signal && { signal: s.signal }) }),
    )
  } catch (err) {
    if (err instanceof AuthenticationError) throw err
    throw unreachable(s, err)
  }
  return auth
}

function unreachable(s: ProbeSession, err: unknown): Error {
  if (s.signal?.aborted || err instanceof NotARegistryError) return err as Error
  if (err instanceof RegistryResponseError) {
    return new OcibundleError(`${s.registry} does not serve the registry API at /v2/ (${err.status}): ${err.message}`, {
      cause: err,
      suggestions: [
        'the registry API must be at the root of the host: Nexus, for one, needs a dedicated port or subdomain per repository (NEXUS-3)',
      ],
    })
  }
  return new OcibundleError(`cannot reach ${s.registry}: ${messageOf(err)}`, {
    cause: err,
    ...(err instanceof OcibundleError && { suggestions: err.suggestions }),
  })
}

/** Where the probe writes, or why it cannot write anywhere. */
export type Workspace = { ok: true } | { ok: false; reason: string }

/**
 * P0.5: opens (and cancels) an upload in a scratch repository `<given or ocibundle-probe>/probe-<run>`.
 * A 404 NAME_UNKNOWN means the registry does not create repositories on push (ECR, ECR-1):
 * the probe then works in the given repository itself, under throwaway tags, and has no second
 * repository for the mount probe. Throws the client's error when we may not push (401, 403).
 */
export async function chooseWorkspace(s: ProbeSession, given: string | undefined): Promise<Workspace> {
  const scratch = `${given ?? 'ocibundle-probe'}/probe-${s.runId}`
  const first = await tryUpload(s, scratch)
  if (first.status === 202) {
    s.record('repository-auto-create', 'supported', first.evidence)
    s.repository = scratch
    s.mountRepository = `${scratch}-mount`
    return { ok: true }
  }
  if (!isNameUnknown(first))
    return { ok: false, reason: `the registry does not open uploads in ${scratch} (${formatEvidence(first.evidence)})` }
  s.record('repository-auto-create', 'unsupported', withNote(first.evidence, 'repositories must be created before the first push (ECR-1)'))
  const create = 'create the repository before publishing (on ECR: aws ecr create-repository)'
  if (given === undefined)
    return { ok: false, reason: `the registry does not create repositories on push: ${create}, and name it to the check` }
  const second = await tryUpload(s, given)
  if (second.status === 202) {
    s.repository = given
    return { ok: true }
  }
  if (isNameUnknown(second))
    return { ok: false, reason: `the repository ${given} does not exist and the registry does not create repositories on push: ${create}` }
  return { ok: false, reason: `the registry does not open uploads in ${given} (${formatEvidence(second.evidence)})` }
}

async function tryUpload(s: ProbeSession, repository: string): Promise<Answer> {
  const answer = await startUpload(s, repository)
  if (answer.status === 202) await cancelUpload(s, locationOf(s, answer), repository)
  if (answer.status === 401 || answer.status === 403) throw answer.error
  return answer
}

function isNameUnknown(answer: Answer): boolean {
  return answer.status === 404 && answer.codes.includes('NAME_UNKNOWN')
}
