// Organizations: the list a user sees, creating one (administrators), its page (members, settings,
// usage) and its settings (rate limit, quotas; administrators).
import type { Services } from '../services'
import type { UserPrincipal } from '../auth/principal'
import type { Role } from '../auth/roles'
import { organizationNameProblem } from '../auth/account-names'
import { isUniqueViolation } from '../db/client'
import { ApiError } from '../http/respond'
import { organizationUsage, repositoryCount } from './usage'
import { limitField, onlyFields, type Body } from './input'

/** Everyone sees the organizations they belong to; administrators see all (role null where not a member). */
export async function listOrganizations(services: Services, principal: UserPrincipal) {
  const memberships = await services.db.membership.findMany({ where: { userId: principal.id }, select: { role: true, organization: { select: { name: true, createdAt: true } } } })
  const roles = new Map(memberships.map((m) => [m.organization.name, m.role as Role]))
  const orgs = principal.admin && !principal.token ? await services.db.organization.findMany({ select: { name: true, createdAt: true }, orderBy: { name: 'asc' } }) : memberships.map((m) => m.organization).sort((a, b) => (a.name < b.name ? -1 : 1))
  return Promise.all(orgs.map(async (o) => ({ name: o.name, role: roles.get(o.name) ?? null, repositories: await repositoryCount(services, o.name), createdAt: o.createdAt })))
}

/** A new organization; its creator becomes its first owner. 409 when the name is taken. */
export async function createOrganization(services: Services, name: string, creator: UserPrincipal) {
  const problem = organizationNameProblem(name)
  if (problem) throw new ApiError(400, 'NAME_INVALID', problem)
  try {
    return await services.db.organization.create({
      data: { name, ...(creator.id > 0 ? { members: { create: { userId: creator.id, role: 'owner' } } } : {}) },
      select: { name: true, createdAt: true },
    })
  } catch (e) {
    if (isUniqueViolation(e)) throw new ApiError(409, 'NAME_TAKEN', `organization "${name}" exists already`)
    throw e
  }
}

export async function findOrganization(services: Services, name: string) {
  const org = await services.db.organization.findUnique({ where: { name } })
  if (!org) throw new ApiError(404, 'ORGANIZATION_NOT_FOUND', `organization "${name.slice(0, 100)}" does not exist`)
  return org
}

const settingsOf = (org: { pushRatePerSecond: number | null; quotaRepositories: number | null; quotaTagsPerRepository: number | null; quotaBytes: bigint | null }) => ({
  pushRatePerSecond: org.pushRatePerSecond,
  quotaRepositories: org.quotaRepositories,
  quotaTagsPerRepository: org.quotaTagsPerRepository,
  quotaBytes: org.quotaBytes === null ? null : Number(org.quotaBytes),
})

export async function organizationDetail(services: Services, name: string, principal: UserPrincipal) {
  const org = await findOrganization(services, name)
  const members = await services.db.membership.findMany({ where: { organizationId: org.id }, select: { role: true, userId: true, user: { select: { name: true, kind: true } } }, orderBy: { user: { name: 'asc' } } })
  return {
    name: org.name,
    role: (members.find((m) => m.userId === principal.id)?.role as Role | undefined) ?? null,
    createdAt: org.createdAt,
    members: members.map((m) => ({ user: m.user.name, role: m.role, kind: m.user.kind })),
    settings: settingsOf(org),
    usage: await organizationUsage(services, org.name),
  }
}

const SETTINGS = ['pushRatePerSecond', 'quotaRepositories', 'quotaTagsPerRepository', 'quotaBytes']

/** Changes the given settings (null = the server default / no quota); answers the old and new values. */
export async function updateSettings(services: Services, name: string, body: Body) {
  onlyFields(body, SETTINGS)
  const data = {
    pushRatePerSecond: limitField(body, 'pushRatePerSecond', 1, 1_000_000),
    quotaRepositories: limitField(body, 'quotaRepositories', 0, 2_000_000_000),
    quotaTagsPerRepository: limitField(body, 'quotaTagsPerRepository', 0, 2_000_000_000),
    quotaBytes: limitField(body, 'quotaBytes', 0, Number.MAX_SAFE_INTEGER),
  }
  const org = await findOrganization(services, name)
  const updated = await services.db.organization.update({
    where: { id: org.id },
    data: { ...data, quotaBytes: data.quotaBytes === undefined || data.quotaBytes === null ? data.quotaBytes : BigInt(data.quotaBytes) },
  })
  return { before: settingsOf(org), after: settingsOf(updated) }
}
