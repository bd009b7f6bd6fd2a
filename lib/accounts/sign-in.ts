// Signing in to the console and out of it. Sign-in always makes a NEW session secret and ends the
// session a cookie sent with the request named (session fixation: a secret planted in the browser
// before sign-in never becomes a signed-in session). Passwords go through authenticateCredentials,
// so the sign-in throttle applies exactly as on the registry's token endpoint.
import type { IncomingMessage } from 'node:http'
import type { Services } from '../services'
import type { UserPrincipal } from '../auth/principal'
import { authenticateCredentials, AuthenticationError } from '../auth/authenticate'
import { ThrottledError } from '../auth/auth-settings'
import { createSession, endSession, endAllSessions, sessionSecretFrom } from '../auth/sessions'
import { sha256Hex } from '../auth/secrets'
import { clientAddress } from '../http/client-address'
import { recordAudit } from '../audit/audit-log'
import { ApiError } from '../http/respond'

export type SignedIn = { user: { id: number; name: string; admin: boolean }; secret: string }

export async function signIn(services: Services, req: IncomingMessage, name: string, password: string): Promise<SignedIn> {
  const address = clientAddress(services, req)
  const failed = (reason: string, detail: Record<string, unknown> = {}) => recordAudit(services, req, { action: 'session.sign-in', outcome: 'failed', actor: name, target: name, detail: { reason, ...detail } })
  let principal: UserPrincipal
  try {
    principal = await authenticateCredentials(services, name, password, address)
  } catch (e) {
    if (e instanceof AuthenticationError) {
      await failed('wrong user name or password')
      throw new ApiError(401, 'UNAUTHORIZED', 'wrong user name or password')
    }
    if (e instanceof ThrottledError) await failed('throttled', { retryAfterSeconds: e.retryAfterSeconds })
    throw e
  }
  // an access token is for scripts and the registry, not for a browser session
  if (principal.via !== 'password') {
    await failed('access token given as password')
    throw new ApiError(401, 'UNAUTHORIZED', 'sign in to the console with your password; access tokens are for scripts and docker login')
  }
  if (principal.robot) {
    await failed('robot account')
    throw new ApiError(403, 'DENIED', 'robot accounts cannot sign in to the console')
  }
  const planted = sessionSecretFrom(req.headers.cookie)
  if (planted) await endSession(services.db, sha256Hex(planted))
  const secret = await createSession(services.db, principal.id, { address, userAgent: req.headers['user-agent'] ?? null })
  await recordAudit(services, req, { action: 'session.sign-in', actor: principal, target: principal.name })
  return { user: { id: principal.id, name: principal.name, admin: principal.admin }, secret }
}

/** Ends the caller's session, or every session of the user (`everywhere`). */
export async function signOut(services: Services, req: IncomingMessage, principal: UserPrincipal, everywhere: boolean) {
  if (everywhere) await endAllSessions(services.db, principal.id)
  else if (principal.sessionId) await endSession(services.db, principal.sessionId)
  await recordAudit(services, req, { action: everywhere ? 'session.sign-out-everywhere' : 'session.sign-out', actor: principal, target: principal.name })
}
