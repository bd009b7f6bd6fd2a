// The registry API's side of organizations as tenants: a push creates a missing organization for an
// administrator (lib/accounts/ensure-organization.ts), and quota refusals are answered as DENIED.
import type { Ctx } from './context'
import { OciError } from './errors'
import { principalOf } from '../auth/authenticate'
import { organizationForPush, OrganizationRefused } from '../accounts/ensure-organization'
import { isQuotaExceeded } from '../accounts/quotas'
import { recordAudit } from '../audit/audit-log'

/** Before a push writes into `name` (the policy allowed it): its organization exists afterwards. */
export async function ensurePushTarget(ctx: Ctx, name: string): Promise<void> {
  const principal = await principalOf(ctx.services, ctx.req)
  const created = await organizationForPush(ctx.services, principal, name)
  if (created) await recordAudit(ctx.services, ctx.req, { action: 'organization.create', actor: principal, organization: created, target: created, detail: { by: 'push', repository: name } })
}

/** A tenancy refusal as the registry API's error; anything else unchanged. */
export function tenancyError(e: unknown): unknown {
  if (isQuotaExceeded(e)) return new OciError('DENIED', `quota exceeded: ${e.message}`, { status: 403, detail: e.detail })
  if (e instanceof OrganizationRefused) return new OciError(e.status === 400 ? 'NAME_INVALID' : 'DENIED', e.message, { status: e.status })
  return e
}
