// Console sessions: a random secret in an HttpOnly cookie, its SHA-256 in the database. Sessions
// expire after SESSION_TTL_MS of inactivity and SESSION_MAX_MS in all.
import type { Db } from '../db/client'
import { randomSecret, sha256Hex } from './secrets'

export const SESSION_COOKIE = 'stowage_session'
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000
const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000
// lastSeenAt/expiresAt are refreshed at most this often (not a database write per request)
const TOUCH_EVERY_MS = 60 * 1000

export type SessionUser = { id: number; name: string; admin: boolean; kind: string }

/** A new session for the user; answers the cookie's secret (never stored). */
export async function createSession(db: Db, userId: number, meta: { address?: string | null; userAgent?: string | null } = {}) {
  const secret = randomSecret()
  const now = Date.now()
  await db.session.create({
    data: { id: sha256Hex(secret), userId, expiresAt: new Date(now + SESSION_TTL_MS), address: meta.address ?? null, userAgent: meta.userAgent?.slice(0, 300) ?? null },
  })
  return secret
}

/** The session's user, or null when the secret names no live session. */
export async function findSession(db: Db, secret: string): Promise<{ id: string; user: SessionUser } | null> {
  if (!secret || secret.length > 200) return null
  const id = sha256Hex(secret)
  const session = await db.session.findUnique({ where: { id }, include: { user: { select: { id: true, name: true, admin: true, kind: true } } } })
  if (!session) return null
  const now = Date.now()
  if (session.expiresAt.getTime() <= now || session.createdAt.getTime() + SESSION_MAX_MS <= now) {
    await db.session.deleteMany({ where: { id } })
    return null
  }
  if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    const expiresAt = new Date(Math.min(now + SESSION_TTL_MS, session.createdAt.getTime() + SESSION_MAX_MS))
    await db.session.updateMany({ where: { id }, data: { lastSeenAt: new Date(now), expiresAt } })
  }
  return { id, user: session.user }
}

export const endSession = (db: Db, id: string) => db.session.deleteMany({ where: { id } })
/** Sign-out everywhere: every session of the user ends. */
export const endAllSessions = (db: Db, userId: number) => db.session.deleteMany({ where: { userId } })

export function sessionCookie(secret: string, secure: boolean) {
  return `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_MS / 1000}${secure ? '; Secure' : ''}`
}

export const clearedSessionCookie = (secure: boolean) => `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`

/** The session secret in a Cookie header, if any. */
export function sessionSecretFrom(cookieHeader: string | undefined): string | null {
  if (!cookieHeader) return null
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || null
  }
  return null
}
