// Robot accounts: "<organization>+<name>", members of their one organization, without a password
// (they authenticate only with their access tokens, and never sign in to the console).
import type { Services } from '../services'
import type { Role } from '../auth/roles'
import { userNameProblem } from '../auth/account-names'
import { isUniqueViolation } from '../db/client'
import { ApiError } from '../http/respond'
import { findOrganization } from './organizations'

export async function createRobot(services: Services, organization: string, shortName: string, role: Role) {
  refuseOwningRobot(role)
  const name = `${organization}+${shortName}`
  const problem = userNameProblem(name, 'robot')
  if (problem) throw new ApiError(400, 'NAME_INVALID', problem)
  const org = await findOrganization(services, organization)
  try {
    const robot = await services.db.user.create({
      data: { name, kind: 'robot', organizationId: org.id, memberships: { create: { organizationId: org.id, role } } },
      select: { name: true, kind: true, createdAt: true },
    })
    return { ...robot, organization: org.name, role }
  } catch (e) {
    if (isUniqueViolation(e)) throw new ApiError(409, 'NAME_TAKEN', `robot "${name}" exists already`)
    throw e
  }
}

/** Robots pull or push; an owning robot could be an organization's last owner that no person can replace. */
export function refuseOwningRobot(role: Role) {
  if (role === 'owner') throw new ApiError(400, 'ROLE_INVALID', 'a robot account has the pull or push role, not owner')
}

/** The robot account named "org+name", with its organization's name; 404 when there is none. */
export async function findRobot(services: Services, name: string) {
  const robot = name.length <= 200 && name.includes('+') ? await services.db.user.findUnique({ where: { name } }) : null
  if (!robot || robot.kind !== 'robot') throw new ApiError(404, 'ROBOT_NOT_FOUND', `robot account "${name.slice(0, 100)}" does not exist`)
  return { robot, organization: name.slice(0, name.indexOf('+')) }
}
