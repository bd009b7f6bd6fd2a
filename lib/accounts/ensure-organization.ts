// An administrator's upload or push into an organization that does not exist yet creates it (as the
// issue asks); anyone else needs it to exist (policy.ts then asks for the push role in it). Two
// requests creating the same organization at once both succeed: the loser of the insert race finds
// the winner's row.
import type { Services } from '../services'
import type { Principal } from '../auth/principal'
import { organizationNameProblem, organizationOf } from '../auth/account-names'
import { isUniqueViolation } from '../db/client'

export class OrganizationRefused extends Error {
  constructor(
    readonly status: 400 | 403,
    message: string,
  ) {
    super(message)
    this.name = 'OrganizationRefused'
  }
}

/** The organization's row, created when missing. Throws OrganizationRefused when its name cannot be one. */
export async function ensureOrganization(db: Services['db'], name: string): Promise<{ id: number; name: string; created: boolean }> {
  const problem = organizationNameProblem(name)
  const existing = await db.organization.findUnique({ where: { name }, select: { id: true, name: true } })
  if (existing) return { ...existing, created: false }
  if (problem) throw new OrganizationRefused(400, `"${name}" cannot be an organization (the first part of a repository name names its organization): ${problem}`)
  try {
    return { ...(await db.organization.create({ data: { name }, select: { id: true, name: true } })), created: true }
  } catch (e) {
    if (!isUniqueViolation(e)) throw e
    return { ...(await db.organization.findUniqueOrThrow({ where: { name }, select: { id: true, name: true } })), created: false }
  }
}

/** The one message for "missing" and "not yours": a refusal does not tell whether an organization exists. */
export const notYours = (organization: string) => `organization "${organization}" does not exist or you may not push to it`

/**
 * Before a push or upload writes into `repository` (already authorized by the policy): creates its
 * organization for an administrator, refuses anyone else when it is missing. The tests' open access
 * (no accounts at all) creates nothing. Returns the organization's name when it was created.
 */
export async function organizationForPush(services: Services, principal: Principal, repository: string): Promise<string | null> {
  const org = organizationOf(repository)
  if (services.auth?.openAccess && principal.kind === 'user' && principal.id === 0) return null
  if (principal.kind === 'user' && principal.admin && !principal.token?.organizationId) {
    return (await ensureOrganization(services.db, org)).created ? org : null
  }
  if (!(await services.db.organization.findUnique({ where: { name: org }, select: { id: true } }))) throw new OrganizationRefused(403, notYours(org))
  return null
}
