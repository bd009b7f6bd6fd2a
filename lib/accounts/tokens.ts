// Access tokens as the console lists and makes them. The secret is answered once, at creation
// (lib/auth/access-tokens.ts stores only its hash). A user sees their own tokens and, in the
// organizations they own, their robots' tokens.
import type { Services } from '../services'
import type { UserPrincipal } from '../auth/principal'
import { createAccessToken, type TokenAccess } from '../auth/access-tokens'
import { ApiError } from '../http/respond'
import { roleRank } from '../auth/roles'
import { accessField, expiryField, optionalString, stringField, type Body } from './input'

export const TOKEN_ID = /^[A-Za-z0-9]{16}$/

export type TokenRequest = { name: string; organization: string | null; access: TokenAccess; expiresAt: Date | null; robot: string | null }

export function tokenRequest(body: Body): TokenRequest {
  const name = stringField(body, 'name', 100).trim()
  if (!name) throw new ApiError(400, 'NAME_INVALID', 'give the token a name (what it is for)')
  return { name, organization: optionalString(body, 'organization', 100), access: accessField(body), expiresAt: expiryField(body), robot: optionalString(body, 'robot', 200) }
}

/** Organizations whose robots' tokens the principal manages: those it owns (administrators: all). */
async function ownedOrganizationIds(services: Services, principal: UserPrincipal): Promise<number[] | 'all'> {
  // an access token cannot manage organizations (policy.ts), so it sees only its user's own tokens
  if (principal.token || principal.grants) return []
  if (principal.admin) return 'all'
  const owned = await services.db.membership.findMany({ where: { userId: principal.id, role: 'owner' }, select: { organizationId: true } })
  return owned.map((m) => m.organizationId)
}

export async function listTokens(services: Services, principal: UserPrincipal) {
  const owned = await ownedOrganizationIds(services, principal)
  const robots = owned === 'all' ? { kind: 'robot' } : owned.length ? { kind: 'robot', organizationId: { in: owned } } : null
  const rows = await services.db.accessToken.findMany({
    where: { OR: [{ userId: principal.id }, ...(robots ? [{ user: robots }] : [])] },
    include: { user: { select: { name: true } } },
    orderBy: { createdAt: 'desc' },
  })
  const orgIds = [...new Set(rows.map((r) => r.organizationId).filter((id): id is number => id !== null))]
  const orgs = new Map((await services.db.organization.findMany({ where: { id: { in: orgIds } }, select: { id: true, name: true } })).map((o) => [o.id, o.name]))
  return rows.map((r) => describeToken(r, r.user.name, r.organizationId === null ? null : (orgs.get(r.organizationId) ?? null)))
}

type TokenRow = { id: string; name: string; access: string; expiresAt: Date | null; lastUsedAt: Date | null; createdAt: Date; revokedAt: Date | null }

export const describeToken = (r: TokenRow, user: string, organization: string | null) => ({
  id: r.id,
  name: r.name,
  user,
  organization,
  access: r.access,
  expiresAt: r.expiresAt,
  lastUsedAt: r.lastUsedAt,
  createdAt: r.createdAt,
  revokedAt: r.revokedAt,
})

/** Makes the token for `owner` (the caller, or a robot the caller owns; checked by the route). */
export async function issueToken(services: Services, owner: { id: number; name: string }, req: TokenRequest, organizationId: number | null) {
  const { token, row } = await createAccessToken(services.db, { userId: owner.id, name: req.name, organizationId, access: req.access, expiresAt: req.expiresAt })
  return { token, ...describeToken(row, owner.name, req.organization) }
}

/** A token with its owner, or 404 (also for a malformed id). */
export async function findToken(services: Services, id: string) {
  const row = TOKEN_ID.test(id) ? await services.db.accessToken.findUnique({ where: { id }, include: { user: { select: { id: true, name: true, kind: true, organizationId: true } } } }) : null
  if (!row) throw new ApiError(404, 'TOKEN_NOT_FOUND', `there is no token ${id.slice(0, 40)}`)
  return row
}

/** A robot's token acts in the robot's organization and within its role there. */
export async function checkRobotToken(services: Services, robot: { id: number; name: string }, organization: string, req: TokenRequest) {
  if (req.organization !== null && req.organization !== organization) throw new ApiError(400, 'ORGANIZATION_INVALID', `robot "${robot.name}" acts only in "${organization}"`)
  const role = (await services.db.membership.findFirst({ where: { userId: robot.id, organization: { name: organization } }, select: { role: true } }))?.role
  if (roleRank(role) < roleRank(req.access)) throw new ApiError(400, 'ACCESS_INVALID', `robot "${robot.name}" has the ${role ?? 'no'} role in "${organization}": a ${req.access} token would grant more`)
}

/** The id of the organization a token is limited to (null: not limited); 400 when there is no such organization. */
export async function tokenOrganizationId(services: Services, organization: string | null): Promise<number | null> {
  if (organization === null) return null
  const org = await services.db.organization.findUnique({ where: { name: organization }, select: { id: true } })
  if (!org) throw new ApiError(400, 'ORGANIZATION_NOT_FOUND', `organization "${organization}" does not exist`)
  return org.id
}
