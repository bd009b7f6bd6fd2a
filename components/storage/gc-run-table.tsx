// The history of garbage-collection runs, newest first: when, why, who, what was freed, errors.
import type { GcRunView } from '@/lib/console/lifecycle-views'
import { Section } from '../accounts/parts'
import { DataTable, type Column } from '../accounts/data-table'
import { formatBytes, formatDateTime, formatExactBytes } from '@/lib/format'

const COLUMNS: Column[] = [
  { label: 'Started' },
  { label: 'Finished', className: 'hidden md:table-cell' },
  { label: 'Trigger', className: 'hidden sm:table-cell' },
  { label: 'Who', className: 'hidden lg:table-cell' },
  { label: 'Freed', className: 'text-right' },
  { label: 'Errors', className: 'hidden sm:table-cell' },
]

const when = (at: string | null) =>
  at ? (
    <>
      {/* date and time wrap apart on a phone */}
      <span className="whitespace-nowrap">{formatDateTime(at).slice(0, 10)}</span> <span className="whitespace-nowrap">{formatDateTime(at).slice(11)}</span>
    </>
  ) : (
    <span className="text-slate-600">running…</span>
  )

export function GcRunTable({ runs }: { runs: GcRunView[] }) {
  return (
    <Section title="Collection runs" id="gc-runs">
      {runs.length === 0 ? (
        <p className="px-5 py-4 text-sm text-slate-600">No garbage collection has run yet.</p>
      ) : (
        <DataTable nowrapHead columns={COLUMNS}>
          {runs.map((r) => {
            const trigger = `${r.trigger === 'schedule' ? 'scheduled' : 'manual'}${r.dryRun ? ' dry run' : ''}`
            return (
              <tr key={r.id} data-testid="gc-run-row" data-run={r.id} data-dry-run={String(r.dryRun)} data-bytes={r.bytesFreed} className="align-top">
                <td className="px-4 py-3 text-slate-700 tabular-nums">
                  {when(r.startedAt)}
                  <div className="mt-0.5 text-xs wrap-anywhere text-slate-600 sm:hidden">
                    {trigger}
                    {r.actor ? ` · ${r.actor}` : ''}
                    {r.errors.length ? ` · ${r.errors.length} ${r.errors.length === 1 ? 'error' : 'errors'}` : ''}
                  </div>
                </td>
                <td className="hidden px-4 py-3 text-slate-700 tabular-nums md:table-cell">{when(r.finishedAt)}</td>
                <td className="hidden px-4 py-3 sm:table-cell">
                  <span className={`rounded px-1.5 py-0.5 text-xs font-medium whitespace-nowrap ${r.dryRun ? 'bg-slate-100 text-slate-700' : 'bg-indigo-50 text-indigo-800'}`}>{trigger}</span>
                  {r.state === 'failed' && <span className="ml-2 rounded bg-red-50 px-1.5 py-0.5 text-xs font-medium text-red-700">failed</span>}
                </td>
                <td className="hidden max-w-48 truncate px-4 py-3 font-mono text-xs text-slate-700 lg:table-cell" title={r.actor ?? undefined}>
                  {r.actor ?? (r.trigger === 'schedule' ? 'schedule' : '—')}
                </td>
                <td className="px-4 py-3 text-right whitespace-nowrap tabular-nums" title={formatExactBytes(r.bytesFreed)}>
                  {formatBytes(r.bytesFreed)}
                  <div className="text-xs text-slate-600">
                    {r.dryRun ? 'to free' : `${r.objectsDeleted} objects`}
                  </div>
                </td>
                <td className="hidden min-w-48 px-4 py-3 text-xs wrap-anywhere text-slate-700 sm:table-cell">
                  {r.errors.length === 0 ? <span className="text-slate-600">none</span> : (
                    <ul className="space-y-0.5 text-red-700" data-testid="gc-run-errors">
                      {r.errors.slice(0, 3).map((e, i) => (
                        <li key={i}>{e}</li>
                      ))}
                      {r.errors.length > 3 && <li className="text-slate-600">and {r.errors.length - 3} more</li>}
                    </ul>
                  )}
                </td>
              </tr>
            )
          })}
        </DataTable>
      )}
    </Section>
  )
}
