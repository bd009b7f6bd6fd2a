// Audit events of /v2/ writes (pushes and deletions), by the caller the request was authorized as.
import type { Ctx } from './context'
import type { AuditAction } from '../audit/audit-log'
import { recordAudit } from '../audit/audit-log'
import { principalOf } from '../auth/authenticate'
import { organizationOf } from '../auth/account-names'

export async function auditRegistryWrite(ctx: Ctx, action: AuditAction, repository: string, target: string, detail: Record<string, unknown> = {}) {
  // resolved (and cached) by the authorization that let this request through
  const actor = await principalOf(ctx.services, ctx.req).catch(() => null)
  await recordAudit(ctx.services, ctx.req, { action, actor, organization: organizationOf(repository), target, detail: { via: 'registry', ...detail } })
}
