'use client'
// /audit: who did what, when and from where. Filters live in the URL (?organization=&action=&actor=&since=),
// so a filtered view can be shared; the same filter exports as JSON lines. Owners see their
// organizations' events, administrators all (the server filters).
import { usePathname, useRouter, useSearchParams } from 'next/navigation'
import { useEffect, useState } from 'react'
import { apiRequest } from '../api-client'
import { accountUrls, type AuditEvent } from './accounts-api'
import { actionMessage, useApi } from './use-api'
import { useSession } from './use-session'
import { ErrorPanel, Loading } from '../page-states'
import { Field, PageTitle, Section } from './parts'
import { DataTable, type Column } from './data-table'
import { formatDateTime } from '@/lib/format'
import { AUDIT_ACTIONS } from '@/lib/audit/audit-actions'

const COLUMNS: Column[] = [
  { label: 'When' },
  { label: 'Action' },
  { label: 'Actor', className: 'hidden sm:table-cell' },
  { label: 'Target', className: 'hidden md:table-cell' },
  { label: 'From', className: 'hidden lg:table-cell' },
]
const KEYS = ['organization', 'action', 'actor', 'since'] as const
const PAGE = 100
type Filter = Record<(typeof KEYS)[number], string>

/** The API's since is a time; the form's a date (the start of that day, UTC). */
const apiFilter = (f: Filter): Record<string, string> => ({ ...f, since: f.since ? new Date(`${f.since}T00:00:00Z`).toISOString() : '' })

export function AuditPage() {
  const params = useSearchParams()
  const router = useRouter()
  const pathname = usePathname()
  const session = useSession()
  const admin = session.status === 'signed-in' && session.session.user.admin
  const organizations = session.status === 'signed-in' ? session.session.organizations.filter((o) => admin || o.role === 'owner').map((o) => o.name) : []
  const applied = Object.fromEntries(KEYS.map((k) => [k, params.get(k) ?? ''])) as Filter
  // owners read one organization's events at a time (all events are for administrators): their first one
  if (!applied.organization && session.status === 'signed-in' && !admin && organizations.length) applied.organization = organizations[0]
  const ready = session.status !== 'loading'
  const [draft, setDraft] = useState<Filter>(applied)
  useEffect(() => setDraft((d) => (d.organization ? d : { ...d, organization: applied.organization })), [applied.organization])
  const events = useApi<{ events: AuditEvent[]; next: number | null }>(ready ? accountUrls.audit({ ...apiFilter(applied), limit: String(PAGE) }) : null)
  // "Load more": older pages, appended; a new filter (a new first page) starts over
  const [older, setOlder] = useState<{ events: AuditEvent[]; next: number | null; error: string | null }>({ events: [], next: null, error: null })
  useEffect(() => setOlder({ events: [], next: null, error: null }), [events.data])
  const next = older.events.length ? older.next : (events.data?.next ?? null)
  const loadMore = async () => {
    if (next === null) return
    try {
      const page = await apiRequest<{ events: AuditEvent[]; next: number | null }>(accountUrls.audit({ ...apiFilter(applied), limit: String(PAGE), before: String(next) }))
      setOlder((o) => ({ events: [...o.events, ...page.events], next: page.next, error: null }))
    } catch (e) {
      setOlder((o) => ({ ...o, error: actionMessage(e) }))
    }
  }

  const apply = (e: React.FormEvent) => {
    e.preventDefault()
    const q = new URLSearchParams(Object.entries(draft).filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, v.trim()]))
    router.replace(q.size ? `${pathname}?${q}` : pathname, { scroll: false })
  }
  const list = [...(events.data?.events ?? []), ...older.events]

  return (
    <div className="space-y-6">
      <PageTitle
        title="Audit log"
        action={
          <a className="btn-secondary" href={accountUrls.audit(apiFilter(applied), 'jsonl')} download="stowage-audit.jsonl">
            Export JSON lines
          </a>
        }
      >
        Sign-ins, uploads, pushes, deletions, permission and token changes: who, what, when, from where.
      </PageTitle>
      <form onSubmit={apply} aria-label="Filter the audit log" className="card grid gap-3 p-4 sm:grid-cols-2 lg:grid-cols-5 lg:items-end">
        <Field label="Organization" htmlFor="audit-organization">
          <input id="audit-organization" list="audit-organizations" className="input font-mono" placeholder="all" autoComplete="off" value={draft.organization} onChange={(e) => setDraft({ ...draft, organization: e.target.value })} />
          <datalist id="audit-organizations">
            {organizations.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </Field>
        <Field label="Action" htmlFor="audit-action">
          <select id="audit-action" className="input" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })}>
            <option value="">all actions</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Actor" htmlFor="audit-actor">
          <input id="audit-actor" className="input font-mono" placeholder="anyone" autoComplete="off" value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} />
        </Field>
        <Field label="Since" htmlFor="audit-since">
          <input id="audit-since" type="date" className="input" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
        </Field>
        <button type="submit" className="btn-primary">
          Filter
        </button>
      </form>
      <Section title={events.data ? `${list.length}${next !== null ? '+' : ''} events` : 'Events'} id="audit-events">
        {events.error ? (
          <ErrorPanel error={events.error} onRetry={events.reload} />
        ) : !events.data ? (
          <Loading label="Loading events…" />
        ) : list.length === 0 ? (
          <p className="px-5 py-4 text-sm text-slate-600">No events match.</p>
        ) : (
          <div>
            <DataTable nowrapHead columns={COLUMNS}>
              {list.map((ev) => (
                <tr key={ev.id} data-testid="audit-row" data-action={ev.action} className="align-top">
                  <td className="px-4 py-3 text-slate-700 tabular-nums">
                    {/* date and time wrap apart on a phone */}
                    <span className="whitespace-nowrap">{formatDateTime(ev.at).slice(0, 10)}</span> <span className="whitespace-nowrap">{formatDateTime(ev.at).slice(11)}</span>
                  </td>
                  <td className="px-4 py-3">
                    <span className="font-mono text-xs break-words text-slate-900">{ev.action}</span>
                    {ev.outcome !== 'ok' && <span className="ml-2 rounded bg-red-50 px-1.5 py-0.5 text-xs font-medium text-red-700">{ev.outcome}</span>}
                    {/* on a phone the hidden columns fold under the action */}
                    <div className="mt-0.5 text-xs break-all text-slate-600 sm:hidden">
                      {ev.actor ?? 'anonymous'}
                      {ev.target ? ` · ${ev.target}` : ''}
                    </div>
                  </td>
                  <td className="hidden px-4 py-3 font-mono text-xs break-all text-slate-700 sm:table-cell">{ev.actor ?? 'anonymous'}</td>
                  <td className="hidden px-4 py-3 font-mono text-xs break-all text-slate-700 md:table-cell">
                    {ev.target ?? '—'}
                    {ev.organization && !ev.target?.startsWith(ev.organization) && <span className="text-slate-600"> ({ev.organization})</span>}
                  </td>
                  <td className="hidden px-4 py-3 font-mono text-xs text-slate-600 lg:table-cell">{ev.address ?? '—'}</td>
                </tr>
              ))}
            </DataTable>
            {(next !== null || older.error) && (
              <div className="flex flex-wrap items-center gap-3 border-t border-slate-100 px-5 py-3">
                {next !== null && (
                  <button type="button" className="btn-secondary" onClick={loadMore}>
                    Load older events
                  </button>
                )}
                {older.error && <p role="alert" className="text-sm text-red-700">{older.error}</p>}
              </div>
            )}
          </div>
        )}
      </Section>
    </div>
  )
}
