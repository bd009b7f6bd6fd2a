// Who is looking at a console page, and whether they may. Pages are server components: the principal
// comes from the session cookie (the browser sends nothing else to a page), and every decision goes
// through THE policy (lib/auth/policy.ts decide), as /api/ and /v2/ requests do through authorize.ts.
import { cache } from 'react'
import { cookies } from 'next/headers'
import { notFound, redirect } from 'next/navigation'
import type { Services } from '../services'
import { ANONYMOUS, type Principal } from '../auth/principal'
import { SESSION_COOKIE, findSession } from '../auth/sessions'
import { decide, type Action, type Resource, type Decision } from '../auth/policy'
import { consoleServices } from './services'

/** The page's caller: the session cookie's user, or anonymous (no cookie, or an ended/expired session). */
export async function pagePrincipal(services: Services | null = consoleServices()): Promise<Principal> {
  if (!services) return ANONYMOUS
  const secret = (await cookies()).get(SESSION_COOKIE)?.value
  const session = secret ? await sessionOf(services, secret) : null
  if (session) {
    const { user } = session
    return { kind: 'user', id: user.id, name: user.name, admin: user.admin, robot: user.kind === 'robot', via: 'session', sessionId: session.id }
  }
  // same seam as authenticate.ts (tests of features that are not about access); no configuration sets it
  if (services.auth?.openAccess) return { kind: 'user', id: 0, name: 'admin', admin: true, robot: false, via: 'session' }
  return ANONYMOUS
}

// once per request: the layout (header) and the page both ask
const sessionOf = cache((services: Services, secret: string) => findSession(services.db, secret))

/**
 * The policy's decision for the page's caller. Null when the console runs without the Stowage server
 * (then the page data says so, and there is nothing to protect).
 */
export async function pageDecision(action: Action, resource: Resource): Promise<Decision | null> {
  const services = consoleServices()
  if (!services) return null
  return decide(services, await pagePrincipal(services), action, resource)
}

/** The sign-in page's address that returns to `here` afterwards. */
export const signInHref = (here: string) => `/sign-in?next=${encodeURIComponent(here)}`

/**
 * Lets the page render only when the policy allows it: an anonymous caller is sent to sign in (and
 * back); a signed-in caller without access gets the 404 page, so a private repository of another
 * organization looks exactly like one that does not exist.
 */
export async function requirePageAccess(action: Action, resource: Resource, here: string): Promise<Principal> {
  const decision = await pageDecision(action, resource)
  if (!decision) return ANONYMOUS
  if (decision.allowed) return decision.principal
  if (decision.principal.kind === 'anonymous') redirect(signInHref(here))
  notFound()
}

/** Pages only signed-in users use (upload): anonymous callers are sent to sign in. */
export async function requireSignedIn(here: string): Promise<Principal> {
  const principal = await pagePrincipal()
  if (principal.kind === 'anonymous' && consoleServices()) redirect(signInHref(here))
  return principal
}
