// Long-lived access tokens for scripts, CI and robot accounts: "stw_<id>_<secret>". The id is public
// (lists, audit); only the secret's SHA-256 is stored, so the token is shown once, at creation.
import type { Db } from '../db/client'
import { randomSecret, sha256Hex, sameSecret } from './secrets'

export const TOKEN_PREFIX = 'stw_'
const TOKEN_FORMAT = /^stw_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/
// last-used time is written at most this often per token
const TOUCH_EVERY_MS = 60 * 1000

export type TokenAccess = 'pull' | 'push'
export const isTokenAccess = (s: unknown): s is TokenAccess => s === 'pull' || s === 'push'
export const looksLikeAccessToken = (s: string) => s.startsWith(TOKEN_PREFIX)

const tokenId = () => randomSecret(24).replace(/[-_]/g, '').slice(0, 16).padEnd(16, '0')

export async function createAccessToken(
  db: Db,
  input: { userId: number; name: string; organizationId: number | null; access: TokenAccess; expiresAt: Date | null },
) {
  const id = tokenId()
  const secret = randomSecret()
  const row = await db.accessToken.create({ data: { id, userId: input.userId, name: input.name, organizationId: input.organizationId, access: input.access, secretHash: sha256Hex(secret), expiresAt: input.expiresAt } })
  return { token: `${TOKEN_PREFIX}${id}_${secret}`, row }
}

export type VerifiedToken = {
  id: string
  access: TokenAccess
  organizationId: number | null
  user: { id: number; name: string; admin: boolean; kind: string }
}

type TokenRow = {
  id: string
  access: string
  organizationId: number | bigint | null
  secretHash: string
  expiresAt: RawDate | null
  lastUsedAt: RawDate | null
  revokedAt: RawDate | null
  userId: number | bigint
  userName: string
  userAdmin: boolean | number | bigint
  userKind: string
}
type RawDate = Date | string | number

/** A timestamp as the drivers return it from raw SQL (PostgreSQL: Date; SQLite: ISO text or epoch ms). */
const dateOf = (v: RawDate) => (v instanceof Date ? v : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v))

/**
 * The token's owner and limits, or null when it is malformed, unknown, revoked or expired. Asked on every
 * request that presents it (a revocation on any instance counts at once): one raw query, token and owner
 * joined, without Prisma's query compiler (the registry's pull path, issue 12).
 */
export async function verifyAccessToken(db: Db, raw: string): Promise<VerifiedToken | null> {
  const m = TOKEN_FORMAT.exec(raw)
  if (!m) return null
  const [row] = await db.$queryRaw<TokenRow[]>`
    SELECT t.id, t.access, t."organizationId", t."secretHash", t."expiresAt", t."lastUsedAt", t."revokedAt",
           u.id AS "userId", u.name AS "userName", u.admin AS "userAdmin", u.kind AS "userKind"
    FROM "AccessToken" t JOIN "User" u ON u.id = t."userId"
    WHERE t.id = ${m[1]}`
  if (!row || row.revokedAt !== null || !sameSecret(row.secretHash, sha256Hex(m[2]))) return null
  const now = Date.now()
  if (row.expiresAt !== null && dateOf(row.expiresAt).getTime() <= now) return null
  if (row.lastUsedAt === null || now - dateOf(row.lastUsedAt).getTime() > TOUCH_EVERY_MS) {
    await db.accessToken.updateMany({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } })
  }
  return {
    id: row.id,
    access: row.access as TokenAccess,
    organizationId: row.organizationId === null ? null : Number(row.organizationId),
    user: { id: Number(row.userId), name: row.userName, admin: Boolean(Number(row.userAdmin)), kind: row.userKind },
  }
}

export const revokeAccessToken = (db: Db, id: string) => db.accessToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } })
