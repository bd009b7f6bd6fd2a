// The image's build history from its config: one step per Dockerfile instruction, layers marked.
import type { TagDetail } from '../api-client'
import { formatCreatedBy, formatDateTime } from '@/lib/format'

export function BuildHistory({ history }: { history: TagDetail['history'] }) {
  if (!history.length) return <p className="px-5 py-4 text-sm text-slate-500">The image configuration records no history.</p>
  let layer = 0
  return (
    <ol className="divide-y divide-slate-100">
      {history.map((h, i) => {
        const label = h.emptyLayer ? null : ++layer
        return (
          <li key={i} className="flex gap-4 px-5 py-3">
            <span
              className={`mt-0.5 inline-flex h-6 min-w-14 shrink-0 items-center justify-center rounded-md px-1.5 text-[11px] font-medium ${
                label ? 'bg-indigo-50 text-indigo-700' : 'bg-slate-100 text-slate-500'
              }`}
            >
              {label ? `layer ${label}` : 'no layer'}
            </span>
            <div className="min-w-0 flex-1">
              <code className="block font-mono text-xs break-all whitespace-pre-wrap text-slate-800">{formatCreatedBy(h.createdBy) || '—'}</code>
              <div className="mt-1 text-xs text-slate-400">
                {h.created ? formatDateTime(h.created) : 'no date'}
                {h.comment ? ` · ${h.comment}` : ''}
              </div>
            </div>
          </li>
        )
      })}
    </ol>
  )
}
