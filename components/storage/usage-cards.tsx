// Storage used, logical and physical, and reclaimable bytes: each number with one line on what it means.
import type { StorageView } from '@/lib/console/lifecycle-views'
import { formatBytes, formatDateTime, formatExactBytes } from '@/lib/format'
import { graceText } from './grace'

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`

export function UsageCards({ usage }: { usage: StorageView }) {
  const cards = [
    { key: 'logical', label: 'Logical', value: usage.logicalBytes, text: 'What the repositories would take if each stored its own copy of every layer.' },
    { key: 'physical', label: 'Physical', value: usage.physicalBytes, text: 'What the bucket holds: each layer and configuration stored once, shared by every repository that uses it.' },
    { key: 'reclaimable', label: 'Reclaimable', value: usage.reclaimableBytes, text: 'What a garbage collection would free now: data no tag, index or upload needs any more.' },
  ]
  const saved = usage.logicalBytes - usage.physicalBytes
  return (
    <section aria-label="Storage used" className="space-y-3">
      <dl className="grid gap-4 sm:grid-cols-3">
        {cards.map((c) => (
          <div key={c.key} className="card min-w-0 px-5 py-4" data-testid={`usage-${c.key}`} data-bytes={c.value}>
            <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase">{c.label}</dt>
            <dd className="mt-1 text-2xl font-semibold text-slate-900 tabular-nums" title={formatExactBytes(c.value)}>
              {formatBytes(c.value)}
            </dd>
            <dd className="mt-1 text-xs text-slate-600">{c.text}</dd>
          </div>
        ))}
      </dl>
      <p className="text-sm text-slate-600">
        {count(usage.repositories, 'repository', 'repositories')}, {count(usage.manifests, 'manifest')}, {count(usage.blobs, 'stored blob')}
        {saved > 0 && <> · deduplication saves {formatBytes(saved)}</>}. {usage.graceSeconds > 0 ? <> Unreferenced data younger than {graceText(usage.graceSeconds)} (the grace period) is kept, so a pull by digest right after a tag moves still works.</> : ' No grace period: unreferenced data is reclaimable at once.'}
        {usage.lastRun && (
          <>
            {' '}Last {usage.lastRun.dryRun ? 'dry run' : 'collection'}: {formatDateTime(usage.lastRun.finishedAt ?? usage.lastRun.startedAt)}.
          </>
        )}
      </p>
    </section>
  )
}
