// Background jobs: how many of each kind are queued, running, failed and completed, and the recent
// failures with their reason (the queue retries with backoff; these failed for good).
import type { JobsView } from '@/lib/console/lifecycle-views'
import { Section } from '../accounts/parts'
import { DataTable, type Column } from '../accounts/data-table'
import { formatDateTime } from '@/lib/format'

const KIND_LABEL: Record<string, string> = {
  'blob.measure': 'Layer size measurement',
  'gc.run': 'Garbage collection',
  'retention.run': 'Retention policies',
  'expiry.run': 'Abandoned upload expiry',
}
const STATES = [
  ['queued', 'Queued'],
  ['active', 'Running'],
  ['failed', 'Failed'],
  ['completed', 'Completed'],
] as const

export function JobsSection({ jobs }: { jobs: JobsView | null }) {
  if (!jobs) {
    return (
      <Section title="Background jobs" id="jobs">
        <p className="px-5 py-4 text-sm text-slate-600">This server runs without a job queue.</p>
      </Section>
    )
  }
  const failed = jobs.jobs.filter((j) => j.state === 'failed')
  // phones: the counts fold under the kind instead of four columns
  const columns: Column[] = [{ label: 'Kind' }, ...STATES.map(([, label]) => ({ label, className: 'hidden text-right sm:table-cell' }))]
  return (
    <Section title="Background jobs" id="jobs" action={<span className="text-xs text-slate-600">{jobs.kind === 'pg-boss' ? 'queue: pg-boss on PostgreSQL' : 'queue: in process (SQLite)'}</span>}>
      <DataTable columns={columns}>
        {Object.entries(jobs.counts).map(([name, c]) => (
          <tr key={name} data-testid="job-counts" data-kind={name}>
            <td className="px-4 py-2.5">
              <span className="block text-slate-900">{KIND_LABEL[name] ?? name}</span>
              <span className="font-mono text-xs text-slate-600">{name}</span>
              <span className="mt-0.5 block text-xs text-slate-700 sm:hidden">
                {STATES.map(([state, label]) => `${c[state]} ${label.toLowerCase()}`).join(' · ')}
              </span>
            </td>
            {STATES.map(([state]) => (
              <td key={state} data-state={state} className={`hidden px-4 py-2.5 text-right sm:table-cell tabular-nums ${state === 'failed' && c[state] > 0 ? 'font-semibold text-red-700' : 'text-slate-700'}`}>
                {c[state]}
              </td>
            ))}
          </tr>
        ))}
      </DataTable>
      <div className="border-t border-slate-100 px-5 py-4">
        <h3 className="text-xs font-medium tracking-wide text-slate-600 uppercase">Recent failures</h3>
        {failed.length === 0 ? (
          <p className="mt-1 text-sm text-slate-600">No job has failed.</p>
        ) : (
          <ul className="mt-2 divide-y divide-slate-100">
            {failed.map((j) => (
              <li key={j.id} className="py-2 text-sm" data-testid="failed-job" data-kind={j.name}>
                <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
                  <span className="font-mono text-xs text-slate-900">{j.name}</span>
                  <span className="text-xs text-slate-600">
                    {formatDateTime(j.completedAt ?? j.startedAt ?? j.createdAt)} · {j.retryCount} {j.retryCount === 1 ? 'retry' : 'retries'}
                  </span>
                </div>
                <p className="mt-0.5 text-xs wrap-anywhere text-red-700">{j.error ?? 'no reason recorded'}</p>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Section>
  )
}
