// Resolves the principal of a request: a session cookie, `Authorization: Basic` (user + password or
// access token), `Authorization: Bearer` (an access token or a registry token), or nobody. Credentials
// that are given but wrong are an error (401), never a fall-back to anonymous.
import type { IncomingMessage } from 'node:http'
import type { Services } from '../services'
import { ANONYMOUS, type Principal, type UserPrincipal } from './principal'
import { findSession, sessionSecretFrom } from './sessions'
import { verifyAccessToken, looksLikeAccessToken, type VerifiedToken } from './access-tokens'
import { verifyPassword } from './passwords'
import { registryTokenKey, verifyRegistryToken } from './registry-token'
import { DEFAULT_SERVICE, ThrottledError } from './auth-settings'
import { clientAddress } from '../http/client-address'

export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AuthenticationError'
  }
}

const OPEN_ACCESS_ADMIN: UserPrincipal = { kind: 'user', id: 0, name: 'admin', admin: true, robot: false, via: 'session' }

const resolved = new WeakMap<IncomingMessage, Promise<Principal>>()

/** The request's principal, resolved once per request. Throws AuthenticationError or ThrottledError. */
export function principalOf(services: Services, req: IncomingMessage): Promise<Principal> {
  let p = resolved.get(req)
  if (!p) {
    p = authenticate(services, req)
    resolved.set(req, p)
  }
  return p
}

/** The principal already resolved for this request, if any; never authenticates (the request log). */
export function resolvedPrincipal(req: IncomingMessage): Promise<Principal> | undefined {
  return resolved.get(req)
}

async function authenticate(services: Services, req: IncomingMessage): Promise<Principal> {
  const header = req.headers.authorization
  if (header) {
    const space = header.indexOf(' ')
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
    const value = space < 0 ? '' : header.slice(space + 1).trim()
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon < 0) throw new AuthenticationError('malformed Basic credentials')
      return authenticateCredentials(services, decoded.slice(0, colon), decoded.slice(colon + 1), clientAddress(services, req))
    }
    if (scheme === 'bearer') return authenticateBearer(services, value)
    throw new AuthenticationError(`unsupported authorization scheme "${scheme.slice(0, 20)}"`)
  }
  const secret = sessionSecretFrom(req.headers.cookie)
  if (secret) {
    const session = await findSession(services.db, secret)
    // an expired cookie is not an error: the caller is anonymous and may sign in again
    if (session) return { kind: 'user', id: session.user.id, name: session.user.name, admin: session.user.admin, robot: session.user.kind === 'robot', via: 'session', sessionId: session.id }
  }
  return services.auth?.openAccess ? OPEN_ACCESS_ADMIN : ANONYMOUS
}

/** A user name and a password or access token (Basic auth, the token endpoint, the sign-in form). */
export async function authenticateCredentials(services: Services, user: string, secret: string, address: string): Promise<UserPrincipal> {
  const throttle = services.auth?.signInThrottle
  await throttle?.before(user, address)
  const principal = looksLikeAccessToken(secret) ? await byToken(services, secret, user) : await byPassword(services, user, secret)
  if (!principal) {
    await throttle?.failed(user, address)
    throw new AuthenticationError('wrong user name or password/token')
  }
  await throttle?.succeeded(user, address)
  return principal
}

async function byPassword(services: Services, name: string, password: string): Promise<UserPrincipal | null> {
  const user = name.length <= 200 ? await services.db.user.findUnique({ where: { name } }) : null
  if (!(await verifyPassword(user?.passwordHash, password)) || !user) return null
  return { kind: 'user', id: user.id, name: user.name, admin: user.admin, robot: user.kind === 'robot', via: 'password' }
}

async function byToken(services: Services, raw: string, expectedUser: string | null): Promise<UserPrincipal | null> {
  const token = await verifyAccessToken(services.db, raw)
  // docker login sends a user name with the token: it must be the token's owner
  if (!token || (expectedUser !== null && expectedUser !== token.user.name)) return null
  return tokenPrincipal(token)
}

const tokenPrincipal = (t: VerifiedToken): UserPrincipal => ({
  kind: 'user',
  id: t.user.id,
  name: t.user.name,
  admin: t.user.admin,
  robot: t.user.kind === 'robot',
  via: 'access-token',
  token: { tokenId: t.id, organizationId: t.organizationId, access: t.access },
})

async function authenticateBearer(services: Services, value: string): Promise<Principal> {
  if (looksLikeAccessToken(value)) {
    const principal = await byToken(services, value, null)
    if (!principal) throw new AuthenticationError('the access token is invalid, expired or revoked')
    return principal
  }
  const verified = await verifyRegistryToken(await tokenKeyOf(services), value, services.auth?.service ?? DEFAULT_SERVICE)
  if (!verified) throw new AuthenticationError('the bearer token is invalid or expired')
  if (verified.subject === '') return { kind: 'anonymous', viaToken: true }
  const user = await services.db.user.findUnique({ where: { name: verified.subject } })
  if (!user) throw new AuthenticationError('the bearer token names a user that no longer exists')
  let token: UserPrincipal['token']
  if (verified.tokenId) {
    // made from an access token: revoking that token ends its registry tokens at once
    const row = await services.db.accessToken.findUnique({ where: { id: verified.tokenId } })
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) throw new AuthenticationError('the access token behind this bearer token was revoked or expired')
    token = { tokenId: row.id, organizationId: row.organizationId, access: row.access as 'pull' | 'push' }
  }
  return { kind: 'user', id: user.id, name: user.name, admin: user.admin, robot: user.kind === 'robot', via: 'registry-token', grants: verified.grants, ...(token ? { token } : {}) }
}

export function tokenKeyOf(services: Services): Promise<Uint8Array> {
  const auth = (services.auth ??= {})
  if (!auth.registryTokenKey) {
    const loading = registryTokenKey(services.db)
    auth.registryTokenKey = loading
    // a database hiccup must not be remembered: the next request tries again
    loading.catch(() => {
      if (auth.registryTokenKey === loading) auth.registryTokenKey = undefined
    })
  }
  return auth.registryTokenKey
}

export { ThrottledError }
