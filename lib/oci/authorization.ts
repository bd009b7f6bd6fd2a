// The registry API's use of the one authorization point (lib/http/authorize.ts). A refusal of a caller
// without (valid) credentials is UNAUTHORIZED with the token flow's challenge, so docker, podman and
// skopeo know where to get a bearer token and for which scope; a signed-in caller without the right
// is DENIED.
import { authorize, type Action, type Resource } from '../http/authorize'
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
    throw new OciError('UNAUTHORIZED', decision.reason, { status: 401, headers: { 'WWW-Authenticate': challenge(ctx, action, resource) } })
  }
  throw new OciError('DENIED', decision.reason, { status: 403 })
}

/** `Bearer realm=…,service=…,scope=…` (distribution's token authentication spec). */
export function challenge(ctx: Ctx, action: Action | null, resource: Resource | null): string {
  const realm = `${requestOrigin(ctx.services, ctx.req).origin}/v2/token`
  const service = ctx.services.auth?.service ?? DEFAULT_SERVICE
  const scope = resource && action ? scopeOf(action, resource) : null
  return `Bearer realm="${realm}",service="${service}"${scope ? `,scope="${scope}"` : ''}`
}

export function scopeOf(action: Action, resource: Resource): string | null {
  if (resource.kind === 'catalog') return 'registry:catalog:*'
  if (resource.kind !== 'repository') return null
  const actions = action === 'read' ? 'pull' : action === 'write' ? 'pull,push' : action === 'delete' ? 'delete' : '*'
  return `repository:${resource.name}:${actions}`
}
