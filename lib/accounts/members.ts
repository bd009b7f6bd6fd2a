// Members of an organization and their roles. An organization always keeps an owner: the last one
// can be neither removed nor demoted. The check and the change are one step: on PostgreSQL the
// organization row is locked first, or two owners demoting each other at once could both see the
// other still owning it (SQLite runs one write transaction at a time already).
import type { Services } from '../services'
import type { Role } from '../auth/roles'
import { isPostgres } from '../registry/bulk-sql'
import { ApiError } from '../http/respond'
import { findOrganization } from './organizations'
import { refuseOwningRobot } from './robots'

type Tx = Services['db']

async function lockOrganization(tx: Tx, organizationId: number) {
  if (isPostgres(tx)) await tx.$queryRaw`SELECT "id" FROM "Organization" WHERE "id" = ${organizationId} FOR UPDATE`
}

async function findUser(tx: Tx, name: string) {
  const user = name.length <= 200 ? await tx.user.findUnique({ where: { name } }) : null
  if (!user) throw new ApiError(404, 'USER_NOT_FOUND', `user "${name.slice(0, 100)}" does not exist`)
  return user
}

async function refuseLastOwner(tx: Tx, organizationId: number, organization: string) {
  if ((await tx.membership.count({ where: { organizationId, role: 'owner' } })) <= 1) {
    throw new ApiError(409, 'LAST_OWNER', `this is the last owner of "${organization}"; make another member an owner first`)
  }
}

export type MemberChange = { organization: string; user: string; role: Role | null; previous: Role | null }

/** Gives the user the role in the organization (adding them as a member when they are not one). */
export async function setMember(services: Services, organization: string, userName: string, role: Role): Promise<MemberChange> {
  const org = await findOrganization(services, organization)
  return services.db.$transaction(async (t) => {
    const tx = t as Tx
    await lockOrganization(tx, org.id)
    const user = await findUser(tx, userName)
    if (user.kind === 'robot') {
      if (user.organizationId !== org.id) throw new ApiError(400, 'ROBOT_OF_ANOTHER_ORGANIZATION', `robot "${user.name}" belongs to another organization`)
      refuseOwningRobot(role)
    }
    const current = await tx.membership.findUnique({ where: { organizationId_userId: { organizationId: org.id, userId: user.id } } })
    if (current?.role === 'owner' && role !== 'owner') await refuseLastOwner(tx, org.id, org.name)
    await tx.membership.upsert({ where: { organizationId_userId: { organizationId: org.id, userId: user.id } }, create: { organizationId: org.id, userId: user.id, role }, update: { role } })
    return { organization: org.name, user: user.name, role, previous: (current?.role as Role | undefined) ?? null }
  })
}

export async function removeMember(services: Services, organization: string, userName: string): Promise<MemberChange> {
  const org = await findOrganization(services, organization)
  return services.db.$transaction(async (t) => {
    const tx = t as Tx
    await lockOrganization(tx, org.id)
    const user = await findUser(tx, userName)
    const current = await tx.membership.findUnique({ where: { organizationId_userId: { organizationId: org.id, userId: user.id } } })
    if (!current) throw new ApiError(404, 'MEMBER_NOT_FOUND', `"${user.name}" is not a member of "${org.name}"`)
    if (current.role === 'owner') await refuseLastOwner(tx, org.id, org.name)
    await tx.membership.delete({ where: { organizationId_userId: { organizationId: org.id, userId: user.id } } })
    return { organization: org.name, user: user.name, role: null, previous: current.role as Role }
  })
}
