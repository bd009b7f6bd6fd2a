// Accounts for access tests, written straight to the database (the API that manages them is tested
// on its own): users with passwords, organizations, memberships, access tokens, and the headers that
// present them.
import type { Db } from '../../lib/db/client'
import { hash } from '@node-rs/argon2'
import { createAccessToken, type TokenAccess } from '../../lib/auth/access-tokens'
import type { Role } from '../../lib/auth/roles'

export const PASSWORD = 'correct horse battery staple'

// Seeded passwords are argon2id at its smallest cost (8 KiB, one pass). verify() takes the cost from the
// stored string, so each Basic-auth request of an access test checks in microseconds instead of the real
// cost (19 MiB, two passes: ~50 ms of CPU), which made walks of hundreds of requests CPU-bound. Accounts
// made through the API (account-api.test.ts, first start) keep the real parameters (lib/auth/passwords.ts).
const CHEAP_ARGON2ID = { algorithm: 2, memoryCost: 8, timeCost: 1, parallelism: 1 }
export const seedPasswordHash = (password: string) => hash(password, CHEAP_ARGON2ID)

export async function seedUser(db: Db, name: string, opts: { admin?: boolean; password?: string } = {}) {
  return db.user.create({ data: { name, admin: !!opts.admin, passwordHash: await seedPasswordHash(opts.password ?? PASSWORD) } })
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
