// The audit log: who did what, when, from where. Recording never fails the action it records (an
// audit write error is logged), and never stores a secret (no passwords, tokens or cookies in detail).
import type { IncomingMessage } from 'node:http'
import type { Services } from '../services'
import type { Principal } from '../auth/principal'
import { displayName } from '../auth/principal'
import { clientAddress } from '../http/client-address'
import type { AuditAction } from './audit-actions'

export type { AuditAction }

export type AuditEntry = {
  action: AuditAction
  outcome?: 'ok' | 'denied' | 'failed'
  /** the actor; a string for a name known before authentication (a failed sign-in) */
  actor?: Principal | string | null
  organization?: string | null
  target?: string | null
  detail?: Record<string, unknown> | null
}

export async function recordAudit(services: Services, req: IncomingMessage | null, entry: AuditEntry): Promise<void> {
  const actor = typeof entry.actor === 'string' ? entry.actor.slice(0, 200) : entry.actor && entry.actor.kind === 'user' ? displayName(entry.actor) : null
  try {
    await services.db.auditEvent.create({
      data: {
        action: entry.action,
        outcome: entry.outcome ?? 'ok',
        actor,
        organization: entry.organization ?? null,
        target: entry.target?.slice(0, 500) ?? null,
        address: req ? clientAddress(services, req) : null,
        detail: entry.detail ? JSON.stringify(entry.detail).slice(0, 4000) : null,
      },
    })
  } catch (e) {
    console.error('audit log write failed', entry.action, (e as Error).message)
  }
}
