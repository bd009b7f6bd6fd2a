// Reading the audit log (audit-log.ts writes it): filtered, newest first, in pages with an id cursor,
// or all matching events in bounded batches for an export. Ids only grow, so "before id N" pages are
// stable while new events arrive.
import type { Db } from '../db/client'

export type AuditOutcome = 'ok' | 'denied' | 'failed'
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['ok', 'denied', 'failed']

export type AuditFilter = {
  /** one organization's events; null = every event (administrators) */
  organization: string | null
  /** at or after */
  since?: Date | null
  /** before */
  until?: Date | null
  /** an exact action ("tag.delete") or a family ("session.*") */
  action?: string | null
  actor?: string | null
  outcome?: AuditOutcome | null
}

export type AuditEventView = {
  id: number
  at: string
  actor: string | null
  organization: string | null
  action: string
  target: string | null
  outcome: string
  address: string | null
  detail: unknown
}

export const DEFAULT_AUDIT_PAGE = 100
export const MAX_AUDIT_PAGE = 500
/** rows per database read of an export: bounds its memory whatever the log's size */
export const EXPORT_BATCH = 500

type Where = NonNullable<NonNullable<Parameters<Db['auditEvent']['findMany']>[0]>['where']>

export function auditWhere(filter: AuditFilter, beforeId?: number | null): Where {
  const where: Where = {}
  if (filter.organization !== null) where.organization = filter.organization
  if (filter.since || filter.until) where.at = { ...(filter.since ? { gte: filter.since } : {}), ...(filter.until ? { lt: filter.until } : {}) }
  if (filter.action) where.action = filter.action.endsWith('.*') ? { startsWith: filter.action.slice(0, -1) } : filter.action
  if (filter.actor) where.actor = filter.actor
  if (filter.outcome) where.outcome = filter.outcome
  if (beforeId != null) where.id = { lt: beforeId }
  return where
}

type Row = { id: number; at: Date; actor: string | null; organization: string | null; action: string; target: string | null; outcome: string; address: string | null; detail: string | null }

export function viewOf(row: Row): AuditEventView {
  return { id: row.id, at: row.at.toISOString(), actor: row.actor, organization: row.organization, action: row.action, target: row.target, outcome: row.outcome, address: row.address, detail: parseDetail(row.detail) }
}

function parseDetail(detail: string | null): unknown {
  if (detail === null) return null
  try {
    return JSON.parse(detail)
  } catch {
    return detail // cut at 4000 characters when written: shown as it is
  }
}

/** One page, newest first; `next` is the `before` of the following page (null: this was the last). */
export async function auditPage(db: Db, filter: AuditFilter, page: { limit: number; before?: number | null }): Promise<{ events: AuditEventView[]; next: number | null }> {
  const limit = Math.min(Math.max(1, page.limit), MAX_AUDIT_PAGE)
  const rows = await db.auditEvent.findMany({ where: auditWhere(filter, page.before), orderBy: { id: 'desc' }, take: limit + 1 })
  const more = rows.length > limit
  const events = rows.slice(0, limit).map(viewOf)
  return { events, next: more ? events[events.length - 1].id : null }
}

/** Every matching event, newest first, EXPORT_BATCH rows at a time. */
export async function* auditBatches(db: Db, filter: AuditFilter, batch = EXPORT_BATCH): AsyncGenerator<AuditEventView[]> {
  let before: number | null = null
  for (;;) {
    const { events, next } = await auditPage(db, filter, { limit: batch, before })
    if (events.length) yield events
    if (next === null) return
    before = next
  }
}
