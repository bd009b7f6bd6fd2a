// Console API: the audit log. Organization owners read their organization's events; administrators
// read any organization's or, without `organization`, all of them (sign-ins included). `format=jsonl`
// exports every matching event as JSON lines.
import { once } from 'node:events'
import type { ApiCtx, ApiRoute } from './api-routes'
import { allow } from './api-routes'
import { ApiError, sendJson } from './respond'
import { auditBatches, auditPage, AUDIT_OUTCOMES, DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE, type AuditFilter, type AuditOutcome } from '../audit/audit-query'
import { organizationNameProblem } from '../auth/account-names'

export const auditRoutes: ApiRoute[] = [
  {
    method: 'GET',
    pattern: /^\/api\/audit$/,
    sample: '/api/audit?organization=ORG',
    audience: 'owner',
    async handle(ctx) {
      const filter = auditFilterOf(ctx.url)
      if (filter.organization !== null) await allow(ctx, 'manage', { kind: 'organization', name: filter.organization })
      else await allow(ctx, 'manage', { kind: 'server' })
      if (ctx.url.searchParams.get('format') === 'jsonl') return exportJsonLines(ctx, filter)
      const limit = intParam(ctx.url, 'limit', 1, MAX_AUDIT_PAGE) ?? DEFAULT_AUDIT_PAGE
      const before = intParam(ctx.url, 'before', 1, Number.MAX_SAFE_INTEGER)
      sendJson(ctx.res, 200, await auditPage(ctx.services.db, filter, { limit, before }))
    },
  },
]

/** The query's filter; a malformed value is a 400 naming it (never an empty result that looks real). */
export function auditFilterOf(url: URL): AuditFilter {
  const q = (name: string) => {
    const v = url.searchParams.get(name)
    return v === null || v.trim() === '' ? null : v.trim()
  }
  const organization = q('organization')
  if (organization !== null && organizationNameProblem(organization)) throw bad('organization', organization, 'an organization name')
  const outcome = q('outcome')
  if (outcome !== null && !AUDIT_OUTCOMES.includes(outcome as AuditOutcome)) throw bad('outcome', outcome, AUDIT_OUTCOMES.join(' | '))
  const format = q('format')
  if (format !== null && format !== 'json' && format !== 'jsonl') throw bad('format', format, 'json | jsonl')
  return { organization, since: dateParam(q, 'since'), until: dateParam(q, 'until'), action: q('action')?.slice(0, 100), actor: q('actor')?.slice(0, 200), outcome: outcome as AuditOutcome | null }
}

function dateParam(q: (name: string) => string | null, name: string): Date | null {
  const raw = q(name)
  if (raw === null) return null
  const at = /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(raw) : new Date(NaN)
  if (Number.isNaN(at.getTime())) throw bad(name, raw, 'an ISO 8601 date or time (2026-01-31 or 2026-01-31T12:00:00Z)')
  return at
}

function intParam(url: URL, name: string, min: number, max: number): number | null {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === '') return null
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN
  if (!(n >= min && n <= max)) throw bad(name, raw, `a whole number from ${min} to ${max}`)
  return n
}

const bad = (name: string, raw: string, expected: string) => new ApiError(400, 'PARAMETER_INVALID', `${name} must be ${expected} (got "${raw.slice(0, 40)}")`)

/** Streams JSON lines batch by batch: memory stays bounded, and other requests run between batches. */
async function exportJsonLines(ctx: ApiCtx, filter: AuditFilter) {
  const { res } = ctx
  const filename = `stowage-audit-${filter.organization ?? 'all'}.jsonl`
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Content-Disposition': `attachment; filename="${filename}"`, 'Cache-Control': 'no-store' })
  for await (const batch of auditBatches(ctx.services.db, filter)) {
    if (res.destroyed) return // the client left: stop reading the database
    const chunk = batch.map((e) => JSON.stringify(e) + '\n').join('')
    if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')])
    await new Promise((resolve) => setImmediate(resolve))
  }
  res.end()
}
