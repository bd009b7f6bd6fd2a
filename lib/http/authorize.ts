// The single place where every request is authorized (console API, /v2/, downloads; console pages
// through lib/console/page-auth.ts). It resolves the caller (lib/auth/authenticate.ts), refuses
// cookie-authenticated cross-origin writes (CSRF, same-origin.ts), and asks the policy
// (lib/auth/policy.ts).
import type { IncomingMessage } from 'node:http'
import type { Services } from '../services'
import { principalOf, AuthenticationError } from '../auth/authenticate'
import { decide, type Action, type Resource, type Decision } from '../auth/policy'
import { ANONYMOUS } from '../auth/principal'
import { crossSiteProblem } from './same-origin'

export type { Action, Resource, Decision }
export type { Principal } from '../auth/principal'

/** Decides the request. Throws ThrottledError (answered 429) when sign-in attempts are throttled. */
export async function authorize(services: Services, req: IncomingMessage, action: Action, resource: Resource): Promise<Decision> {
  let principal
  try {
    principal = await principalOf(services, req)
  } catch (e) {
    if (e instanceof AuthenticationError) return { allowed: false, status: 401, reason: e.message, principal: ANONYMOUS }
    throw e
  }
  // Browsers attach cookies, and Basic credentials once typed into their prompt, to requests of other
  // sites' pages; command-line clients send neither Origin nor Sec-Fetch-Site, so they are never refused.
  if (principal.kind === 'user' && (principal.via === 'session' || principal.via === 'password')) {
    const csrf = crossSiteProblem(services, req)
    if (csrf) return { allowed: false, status: 403, reason: csrf, principal }
  }
  return decide(services, principal, action, resource)
}
