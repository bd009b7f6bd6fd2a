// The one authorization function: what a principal may do to a resource. Every request of the console
// pages, /api/, /v2/ and downloads is decided here (through lib/http/authorize.ts). Decisions depend on
// the caller's role in the organization and the repository's public flag, never on whether the
// repository exists, so a refusal does not reveal what another organization has.
import type { Services } from '../services'
import type { Principal, UserPrincipal } from './principal'
import { organizationOf } from './account-names'
import { roleRank, type Role } from './roles'

export type Action = 'read' | 'write' | 'delete' | 'manage'
export type Resource =
  /** the registry API's base (/v2/): any caller with a valid token or credentials */
  | { kind: 'registry' }
  /** the list of repositories (filtered to what the caller may read: visibility.ts) */
  | { kind: 'catalog' }
  | { kind: 'repository'; name: string }
  /** read: a member; write/delete (uploads into it): push; manage (members, visibility): an owner */
  | { kind: 'organization'; name: string }
  /** read: any signed-in user; manage (users, organizations, quotas, rate limits): administrators */
  | { kind: 'server' }
  /** the caller's own sessions and access tokens */
  | { kind: 'account' }

export type Decision =
  | { allowed: true; principal: Principal }
  | { allowed: false; status: 401 | 403; reason: string; principal: Principal }

// what each action on a repository needs, as an organization role and as a registry token action
const NEEDS: Record<Action, { rank: number; grant: string }> = {
  read: { rank: roleRank('pull'), grant: 'pull' },
  write: { rank: roleRank('push'), grant: 'push' },
  delete: { rank: roleRank('push'), grant: 'delete' },
  manage: { rank: roleRank('owner'), grant: '*' },
}

export async function decide(services: Services, principal: Principal, action: Action, resource: Resource): Promise<Decision> {
  const allow = (): Decision => ({ allowed: true, principal })
  const deny = (reason: string): Decision =>
    principal.kind === 'anonymous' ? { allowed: false, status: 401, reason: `sign in first: ${reason}`, principal } : { allowed: false, status: 403, reason, principal }

  switch (resource.kind) {
    case 'registry':
      return principal.kind === 'user' || principal.viaToken ? allow() : deny('the registry API needs a token (docker login)')
    case 'catalog':
      if (principal.kind === 'user' && principal.grants && !hasGrant(principal, 'registry:catalog', '*')) return deny('this token does not grant the catalog (scope registry:catalog:*)')
      return allow()
    case 'account':
      if (principal.kind === 'anonymous') return deny('this needs a signed-in user')
      if (action !== 'read' && principal.via !== 'session' && principal.via !== 'password') return deny('access tokens cannot manage accounts; sign in with a password')
      return allow()
    case 'server':
      if (principal.kind === 'anonymous') return deny('this needs a signed-in user')
      if (action === 'read') return allow()
      return principal.admin && !principal.token && !principal.grants ? allow() : deny('only server administrators may do this')
    case 'organization': {
      if (principal.kind === 'anonymous') return deny(`organization "${resource.name}" is not public`)
      const need = NEEDS[action]
      // a registry token's claims name repositories, never an organization: it may not act on one
      if (principal.grants && action !== 'read') return deny('registry tokens are for the registry API; sign in or use an access token')
      if (principal.token) {
        if (action === 'manage') return deny('access tokens cannot manage organizations; sign in with a password')
        if (principal.token.organizationId !== null && principal.token.organizationId !== (await organizationId(services, resource.name))) return deny('this access token is limited to another organization')
        if (roleRank(principal.token.access) < need.rank) return deny(`this access token only allows ${principal.token.access}`)
      }
      if (principal.admin) return allow()
      const role = await roleIn(services, principal, resource.name)
      return roleRank(role) >= need.rank ? allow() : deny(`you need the ${roleNamed(need.rank)} role in organization "${resource.name}"`)
    }
    case 'repository':
      return decideRepository(services, principal, action, resource.name, allow, deny)
  }
}

async function decideRepository(services: Services, principal: Principal, action: Action, name: string, allow: () => Decision, deny: (r: string) => Decision): Promise<Decision> {
  const org = organizationOf(name)
  const need = NEEDS[action]
  if (action === 'read' && (await isPublic(services, name))) return allow()
  if (principal.kind === 'anonymous') return deny(`repository "${name}" is not public`)
  if (principal.grants && !hasGrant(principal, `repository:${name}`, need.grant)) return deny(`this token does not grant ${need.grant} on ${name}`)
  let rank: number
  if (principal.admin) rank = roleRank('owner')
  else rank = roleRank(await roleIn(services, principal, org))
  if (principal.token) {
    if (principal.token.organizationId !== null && principal.token.organizationId !== (await organizationId(services, org))) return deny(`this access token is limited to another organization`)
    rank = Math.min(rank, roleRank(principal.token.access))
  }
  if (rank >= need.rank) return allow()
  if (rank === 0) return deny(`you have no access to organization "${org}"`)
  return deny(`${action} on "${name}" needs the ${roleNamed(need.rank)} role in organization "${org}"`)
}

const roleNamed = (rank: number): Role => (['pull', 'push', 'owner'] as const)[rank - 1]

function hasGrant(p: UserPrincipal, key: string, action: string) {
  const actions = p.grants?.get(key)
  return !!actions && (actions.has(action) || actions.has('*'))
}

/** The user's role in the organization (null: none, or no such organization). */
export async function roleIn(services: Services, principal: UserPrincipal, organization: string): Promise<Role | null> {
  const row = await services.db.membership.findFirst({ where: { userId: principal.id, organization: { name: organization } }, select: { role: true } })
  return (row?.role as Role | undefined) ?? null
}

async function organizationId(services: Services, name: string) {
  return (await services.db.organization.findUnique({ where: { name }, select: { id: true } }))?.id ?? -1
}

async function isPublic(services: Services, repository: string) {
  return !!(await services.db.repository.findUnique({ where: { name: repository }, select: { public: true } }))?.public
}
