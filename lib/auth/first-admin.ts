// The first administrator. When no user exists: STOWAGE_ADMIN_PASSWORD creates one at start (user
// STOWAGE_ADMIN_USER, default "admin"); without it a one-time setup token is made, and the server
// prints a link to /setup?token=… in its log (the console's sign-in page says to look there).
import { isUniqueViolation, type Db } from '../db/client'
import { hashPassword } from './passwords'
import { randomSecret, sha256Hex, sameSecret } from './secrets'

const SETUP_SETTING = 'setup-token'

export type FirstAdminOutcome = { kind: 'exists' } | { kind: 'created'; user: string } | { kind: 'setup'; token: string }

export async function ensureFirstAdmin(db: Db, admin: { user: string; password: string | null }): Promise<FirstAdminOutcome> {
  if ((await db.user.count({ where: { kind: 'user' } })) > 0) return { kind: 'exists' }
  if (admin.password) {
    try {
      await db.user.create({ data: { name: admin.user, admin: true, passwordHash: await hashPassword(admin.password) } })
    } catch (e) {
      // several instances started at once on one database: another one created it first
      if (isUniqueViolation(e)) return { kind: 'exists' }
      throw e
    }
    return { kind: 'created', user: admin.user }
  }
  // a new token at every start: only the latest printed link works
  const token = randomSecret()
  await db.setting.upsert({ where: { key: SETUP_SETTING }, create: { key: SETUP_SETTING, value: sha256Hex(token) }, update: { value: sha256Hex(token) } })
  return { kind: 'setup', token }
}

/** True while no user exists: the console then sends people to the setup link. */
export async function needsSetup(db: Db) {
  return (await db.user.count({ where: { kind: 'user' } })) === 0
}

/**
 * Creates the first administrator with the setup token. Consumes the token; fails when the token is
 * wrong or a user exists already (two people racing with the same link: one wins).
 */
export async function completeSetup(db: Db, token: string, user: string, passwordHash: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const row = await tx.setting.findUnique({ where: { key: SETUP_SETTING } })
    if (!row || !sameSecret(row.value, sha256Hex(token))) return false
    const removed = await tx.setting.deleteMany({ where: { key: SETUP_SETTING, value: row.value } })
    if (removed.count !== 1 || (await tx.user.count({ where: { kind: 'user' } })) > 0) return false
    await tx.user.create({ data: { name: user, admin: true, passwordHash } })
    return true
  })
}
