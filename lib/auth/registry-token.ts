// Short-lived bearer tokens of the registry token flow (distribution's token spec): a JWT whose
// `access` claims list what it may do, e.g. [{ type: 'repository', name: 'acme/app', actions: ['pull'] }].
// Stowage both issues and checks them, so they are signed with a shared HMAC key kept in the
// database (every instance reads the same key).
import { SignJWT, jwtVerify } from 'jose'
import type { Db } from '../db/client'
import { isUniqueViolation } from '../db/client'
import { randomSecret } from './secrets'
import type { RegistryGrants } from './principal'

export type AccessClaim = { type: string; name: string; actions: string[] }
export const ISSUER = 'stowage'
const KEY_SETTING = 'registry-token-key'

/** The signing key, created on first use (a concurrent instance may win the race: its key is used). */
export async function registryTokenKey(db: Db): Promise<Uint8Array> {
  let row = await db.setting.findUnique({ where: { key: KEY_SETTING } })
  if (!row) {
    try {
      row = await db.setting.create({ data: { key: KEY_SETTING, value: randomSecret(32) } })
    } catch (e) {
      if (!isUniqueViolation(e)) throw e
      row = await db.setting.findUniqueOrThrow({ where: { key: KEY_SETTING } })
    }
  }
  return Buffer.from(row.value, 'base64url')
}

export async function issueRegistryToken(key: Uint8Array, opts: { subject: string; service: string; access: AccessClaim[]; ttlSeconds: number; tokenId?: string }) {
  const now = Math.floor(Date.now() / 1000)
  const token = await new SignJWT({ access: opts.access, ...(opts.tokenId ? { tok: opts.tokenId } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(opts.subject)
    .setAudience(opts.service)
    .setIssuedAt(now)
    .setNotBefore(now - 5)
    .setExpirationTime(now + opts.ttlSeconds)
    .setJti(randomSecret(12))
    .sign(key)
  return { token, issuedAt: new Date(now * 1000).toISOString(), expiresIn: opts.ttlSeconds }
}

export type VerifiedRegistryToken = { subject: string; grants: RegistryGrants; tokenId: string | null }

/** Checks signature, issuer, audience and times; null when any fails. */
export async function verifyRegistryToken(key: Uint8Array, token: string, service: string): Promise<VerifiedRegistryToken | null> {
  try {
    const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: service, algorithms: ['HS256'] })
    if (typeof payload.sub !== 'string') return null
    return { subject: payload.sub, grants: grantsOf(payload.access), tokenId: typeof payload.tok === 'string' ? payload.tok : null }
  } catch {
    return null
  }
}

function grantsOf(access: unknown): RegistryGrants {
  const grants: RegistryGrants = new Map()
  if (!Array.isArray(access)) return grants
  for (const a of access.slice(0, 1000)) {
    if (!a || typeof a.type !== 'string' || typeof a.name !== 'string' || !Array.isArray(a.actions)) continue
    const key = `${a.type}:${a.name}`
    const set = grants.get(key) ?? new Set<string>()
    for (const action of a.actions) if (typeof action === 'string') set.add(action)
    grants.set(key, set)
  }
  return grants
}

/** Parses "repository:acme/app:pull,push" (the name may contain ":" for a registry host with a port). */
export function parseScope(scope: string): AccessClaim | null {
  const first = scope.indexOf(':')
  const last = scope.lastIndexOf(':')
  if (first < 0 || last === first) return null
  const type = scope.slice(0, first)
  const name = scope.slice(first + 1, last)
  const actions = scope.slice(last + 1).split(',').filter(Boolean)
  if (!type || !name || !actions.length) return null
  return { type, name, actions }
}
