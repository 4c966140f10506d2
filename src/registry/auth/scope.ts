/**
 * Token scopes: `resourcetype:resourcename:action[,action]`. Requests declare the scopes they need
 * and the authenticator asks the token server for exactly those, so a token cached for one set of
 * scopes is never used for a request that needs more.
 * References:
 *  - https://github.com/distribution/distribution/blob/main/docs/content/spec/auth/scope.md
 *  - oras-go registry/remote/auth/scope.go (CleanScopes: merge actions per resource, sort)
 */

export type RepositoryAction = 'pull' | 'push' | 'delete'

const ACTION_ORDER: readonly string[] = ['pull', 'push', 'delete']

/**
 * The scope for `actions` on one repository: `repository:acme/app:pull,push`. Pushing needs
 * `pull,push` on the target; a cross-repository mount also needs `pull` on the `from` repository,
 * passed as a second scope (as oras-go's blob Mount does:
 * https://github.com/oras-project/oras-go/blob/main/registry/remote/repository.go).
 */
export function repositoryScope(repository: string, actions: readonly RepositoryAction[]): string {
  return `repository:${repository}:${sortActions(new Set(actions)).join(',')}`
}

/**
 * Merges scopes on the same resource (`repository:a:pull` + `repository:a:push` →
 * `repository:a:pull,push`), drops duplicates and sorts, so that equal needs give equal lists
 * (and equal token cache keys). `*` absorbs every other action. Strings that are not
 * `type:name:actions` are kept as they are.
 */
export function normalizeScopes(scopes: readonly string[]): string[] {
  const actionsByResource = new Map<string, Set<string>>()
  const opaque = new Set<string>()
  for (const scope of scopes) {
    // The name may contain `host:port`, so the actions start after the *last* colon (scope.md).
    const first = scope.indexOf(':')
    const last = scope.lastIndexOf(':')
    if (first <= 0 || last === first || last === scope.length - 1) {
      if (scope !== '') opaque.add(scope)
      continue
    }
    const resource = scope.slice(0, last)
    let actions = actionsByResource.get(resource)
    if (!actions) actionsByResource.set(resource, (actions = new Set()))
    for (const action of scope.slice(last + 1).split(',')) if (action !== '') actions.add(action)
  }
  const out = [...opaque]
  for (const [resource, actions] of actionsByResource) {
    if (actions.size === 0) continue
    out.push(`${resource}:${actions.has('*') ? '*' : sortActions(actions).join(',')}`)
  }
  return out.sort()
}

/** pull, push, delete first (the usual reading order), then any other action alphabetically. */
function sortActions(actions: ReadonlySet<string>): string[] {
  return [...actions].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
}

function rank(action: string): number {
  const i = ACTION_ORDER.indexOf(action)
  return i === -1 ? ACTION_ORDER.length : i
}
