// Accounts for access tests, written straight to the database (the API that manages them is tested
// on its own): users with passwords, organizations, memberships, access tokens, and the headers that
// present them.
import type { Db } from '../../lib/db/client'
import { hashPassword } from '../../lib/auth/passwords'
import { createAccessToken, type TokenAccess } from '../../lib/auth/access-tokens'
import type { Role } from '../../lib/auth/roles'

export const PASSWORD = 'correct horse battery staple'

export async function seedUser(db: Db, name: string, opts: { admin?: boolean; password?: string } = {}) {
  return db.user.create({ data: { name, admin: !!opts.admin, passwordHash: await hashPassword(opts.password ?? PASSWORD) } })
}

export async function seedOrganization(db: Db, name: string, members: Record<string, Role> = {}) {
  const org = await db.organization.create({ data: { name } })
  for (const [user, role] of Object.entries(members)) {
    const u = await db.user.findUniqueOrThrow({ where: { name: user } })
    await db.membership.create({ data: { organizationId: org.id, userId: u.id, role } })
  }
  return org
}

export async function seedToken(db: Db, user: string, opts: { organization?: string | null; access?: TokenAccess; expiresAt?: Date | null } = {}) {
  const u = await db.user.findUniqueOrThrow({ where: { name: user } })
  const org = opts.organization ? await db.organization.findUniqueOrThrow({ where: { name: opts.organization } }) : null
  return (await createAccessToken(db, { userId: u.id, name: 'test', organizationId: org?.id ?? null, access: opts.access ?? 'push', expiresAt: opts.expiresAt ?? null })).token
}

export const basic = (user: string, secret = PASSWORD) => ({ Authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` })
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
