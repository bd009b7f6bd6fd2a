// May this caller write into these repositories? The policy (write = the push role in the repository's
// organization) asked once per repository, and the organizations made ready: an administrator's write
// creates a missing one, anyone else is refused with the same words whether it is missing or simply
// not theirs (a refusal does not reveal which organizations exist).
import type { Services } from '../services'
import type { Principal } from '../auth/principal'
import { decide, roleIn } from '../auth/policy'
import { organizationOf, organizationNameProblem } from '../auth/account-names'
import { notYours, organizationForPush, OrganizationRefused } from './ensure-organization'

export type PushRefusal = { status: 400 | 401 | 403; code: 'UNAUTHORIZED' | 'DENIED' | 'NAME_INVALID'; message: string }

/**
 * Null when the caller may write into every repository named; else why not (the first refusal).
 * `create`: create missing organizations for an administrator (not for a dry run). Returns the
 * organizations created in `created`.
 */
export async function pushRefusal(
  services: Services,
  principal: Principal,
  repositories: string[],
  opts: { create: boolean; created?: string[] },
): Promise<PushRefusal | null> {
  const distinct = [...new Set(repositories)].sort()
  for (const repository of distinct) {
    const d = await decide(services, principal, 'write', { kind: 'repository', name: repository })
    if (d.allowed) continue
    if (d.status === 401) return { status: 401, code: 'UNAUTHORIZED', message: d.reason }
    const org = organizationOf(repository)
    const member = principal.kind === 'user' && (await roleIn(services, principal, org)) !== null
    return { status: 403, code: 'DENIED', message: member ? `may not push to ${repository}: ${d.reason}` : notYours(org) }
  }
  const organizations = [...new Set(distinct.map(organizationOf))]
  // every missing organization must be creatable before any is created
  for (const org of organizations) {
    const problem = organizationNameProblem(org)
    if (problem && !(await services.db.organization.findUnique({ where: { name: org }, select: { id: true } }))) {
      if (!(principal.kind === 'user' && principal.admin)) return { status: 403, code: 'DENIED', message: notYours(org) }
      return { status: 400, code: 'NAME_INVALID', message: `"${org}" cannot be an organization (the first part of a repository name names its organization): ${problem}` }
    }
  }
  for (const org of organizations) {
    try {
      if (opts.create) {
        const created = await organizationForPush(services, principal, org)
        if (created) opts.created?.push(created)
      } else if (!(principal.kind === 'user' && principal.admin) && !(await services.db.organization.findUnique({ where: { name: org }, select: { id: true } }))) {
        return { status: 403, code: 'DENIED', message: notYours(org) }
      }
    } catch (e) {
      if (!(e instanceof OrganizationRefused)) throw e
      return { status: e.status, code: e.status === 400 ? 'NAME_INVALID' : 'DENIED', message: e.message }
    }
  }
  return null
}
