// The registry API's use of the one authorization point (lib/http/authorize.ts). A refusal of a caller
// without (valid) credentials is UNAUTHORIZED with the token flow's challenge, so docker, podman and
// skopeo know where to get a bearer token and for which scope; a signed-in caller without the right
// is DENIED. A registry token that lacks a right its user has is UNAUTHORIZED with
// error="insufficient_scope" (the client fetches a token for the scope and retries); when the user
// lacks the right itself, a new token would not help: DENIED.
import { authorize, type Action, type Resource, type Decision } from '../http/authorize'
import { decide } from '../auth/policy'
import { principalOf, AuthenticationError } from '../auth/authenticate'
import { requestOrigin } from '../http/client-address'
import { DEFAULT_SERVICE } from '../auth/auth-settings'
import type { Ctx } from './context'
import { OciError } from './errors'

/** Throws UNAUTHORIZED/DENIED; with `quiet`, answers false instead (a mount source the caller may not read). */
export async function authorizeOrThrow(ctx: Ctx, action: Action, resource: Resource, opts: { quiet?: boolean } = {}): Promise<boolean> {
  const decision = await authorize(ctx.services, ctx.req, action, resource)
  if (decision.allowed) return true
  if (opts.quiet) return false
  if (decision.status === 401) {
    const error = (await presentedInvalidBearer(ctx)) ? 'invalid_token' : null
    throw new OciError('UNAUTHORIZED', decision.reason, { status: 401, headers: { 'WWW-Authenticate': challenge(ctx, action, resource, error) } })
  }
  if (await newTokenWouldHelp(ctx, decision, action, resource)) {
    throw new OciError('UNAUTHORIZED', decision.reason, { status: 401, headers: { 'WWW-Authenticate': challenge(ctx, action, resource, 'insufficient_scope') } })
  }
  throw new OciError('DENIED', decision.reason, { status: 403 })
}

/** `Bearer realm=…,service=…,scope=…` (distribution's token authentication spec). */
export function challenge(ctx: Ctx, action: Action | null, resource: Resource | null, error: 'invalid_token' | 'insufficient_scope' | null = null): string {
  const realm = `${requestOrigin(ctx.services, ctx.req).origin}/v2/token`
  const service = ctx.services.auth?.service ?? DEFAULT_SERVICE
  const scope = resource && action ? scopeOf(action, resource) : null
  return `Bearer realm="${realm}",service="${service}"${scope ? `,scope="${scope}"` : ''}${error ? `,error="${error}"` : ''}`
}

/** A registry token's claims refused it, but its user may do it: a token asked for this scope would pass. */
async function newTokenWouldHelp(ctx: Ctx, decision: Decision, action: Action, resource: Resource) {
  const p = decision.principal
  if (p?.kind !== 'user' || p.via !== 'registry-token' || !p.grants) return false
  const { grants: _claims, ...user } = p
  return (await decide(ctx.services, user, action, resource)).allowed
}

/** The request carried a Bearer token that is malformed, expired, tampered with or revoked (RFC 6750 invalid_token). */
async function presentedInvalidBearer(ctx: Ctx) {
  if (!/^bearer /i.test(ctx.req.headers.authorization ?? '')) return false
  return principalOf(ctx.services, ctx.req).then(
    () => false,
    (e) => e instanceof AuthenticationError,
  )
}

export function scopeOf(action: Action, resource: Resource): string | null {
  if (resource.kind === 'catalog') return 'registry:catalog:*'
  if (resource.kind !== 'repository') return null
  const actions = action === 'read' ? 'pull' : action === 'write' ? 'pull,push' : action === 'delete' ? 'delete' : '*'
  return `repository:${resource.name}:${actions}`
}
