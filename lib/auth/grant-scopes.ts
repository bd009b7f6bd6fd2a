// What a registry token may do: for each scope a client asks for ("repository:acme/app:pull,push",
// "registry:catalog:*"), the actions the live policy (policy.ts) allows this principal. Asking is
// never an error: what is not allowed is left out, as the distribution token spec says, and the
// registry refuses the request the client then makes.
import type { Services } from '../services'
import type { Principal } from './principal'
import { decide, type Action, type Resource } from './policy'
import { parseScope, type AccessClaim } from './registry-token'
import { repositoryNameProblem } from '../registry/names'

/** A client asks for a few scopes (docker: the target and the mount sources); more is not a real client. */
export const MAX_SCOPES = 50

// the registry token actions of a repository scope and the policy action each needs
const REPOSITORY_ACTIONS: Record<string, Action> = { pull: 'read', push: 'write', delete: 'delete', '*': 'manage' }

/** Parses the `scope` parameters (each may hold several, space-separated, as OAuth2 allows); unknown or malformed ones are dropped. */
export function requestedScopes(params: string[]): AccessClaim[] {
  const merged = new Map<string, AccessClaim>()
  for (const raw of params.flatMap((p) => p.split(' ')).filter(Boolean).slice(0, MAX_SCOPES)) {
    const scope = parseScope(raw)
    if (!scope || !resourceOf(scope)) continue
    const key = `${scope.type}:${scope.name}`
    const claim = merged.get(key) ?? { type: scope.type, name: scope.name, actions: [] }
    for (const a of scope.actions) if (!claim.actions.includes(a)) claim.actions.push(a)
    merged.set(key, claim)
  }
  return [...merged.values()]
}

/** The `access` claims to sign: each requested scope with the actions the principal may do (entries with none are left out). */
export async function grantScopes(services: Services, principal: Principal, requested: AccessClaim[]): Promise<AccessClaim[]> {
  const granted: AccessClaim[] = []
  for (const scope of requested) {
    const resource = resourceOf(scope)
    if (!resource) continue
    const actions: string[] = []
    for (const action of scope.actions) {
      const needs = resource.kind === 'catalog' ? (action === '*' ? 'read' : null) : REPOSITORY_ACTIONS[action]
      if (needs && (await decide(services, principal, needs, resource)).allowed) actions.push(action)
    }
    if (actions.length) granted.push({ type: scope.type, name: scope.name, actions })
  }
  return granted
}

function resourceOf(scope: AccessClaim): Resource | null {
  if (scope.type === 'registry') return scope.name === 'catalog' ? { kind: 'catalog' } : null
  if (scope.type === 'repository') return repositoryNameProblem(scope.name) ? null : { kind: 'repository', name: scope.name }
  return null
}
