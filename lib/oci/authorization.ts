// The registry API's use of the one authorization point (lib/http/authorize.ts).
import { authorize, type Action, type Resource } from '../http/authorize'
import type { Ctx } from './context'
import { OciError } from './errors'

/** Throws UNAUTHORIZED/DENIED; with `quiet`, answers false instead (a mount source the caller may not read). */
export function authorizeOrThrow(ctx: Ctx, action: Action, resource: Resource, opts: { quiet?: boolean } = {}): boolean {
  const decision = authorize(ctx.req, action, resource)
  if (decision.allowed) return true
  if (opts.quiet) return false
  if (decision.status === 401) {
    // clients (docker login, podman) need a challenge to know how to authenticate
    throw new OciError('UNAUTHORIZED', decision.reason, { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="Stowage"' } })
  }
  throw new OciError('DENIED', decision.reason, { status: 403 })
}
