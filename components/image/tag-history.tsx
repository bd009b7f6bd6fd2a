// Which images this tag pointed to over time (uploads, pushes, deletions).
import type { TagDetail } from '../api-client'
import { TimeAgo } from '../time-ago'
import { shortDigest } from '@/lib/format'

const ACTION_STYLE: Record<string, string> = {
  set: 'bg-emerald-50 text-emerald-700',
  delete: 'bg-red-50 text-red-700',
}

export function TagHistory({ entries, current }: { entries: TagDetail['tagHistory']; current: string }) {
  if (!entries.length) return <p className="px-5 py-4 text-sm text-slate-500">No changes recorded.</p>
  return (
    <ul className="divide-y divide-slate-100" data-testid="tag-history">
      {entries.map((e, i) => (
        <li key={i} className="flex items-center gap-3 px-5 py-2.5 text-sm">
          <span className={`rounded-md px-2 py-0.5 text-[11px] font-medium ${ACTION_STYLE[e.action] ?? 'bg-slate-100 text-slate-600'}`}>{e.action === 'set' ? 'tagged' : e.action === 'delete' ? 'deleted' : e.action}</span>
          <span className="font-mono text-xs text-slate-700" title={e.digest}>
            {shortDigest(e.digest)}
          </span>
          {e.digest === current && i === 0 && <span className="rounded-md bg-indigo-50 px-1.5 py-0.5 text-[11px] font-medium text-indigo-700">current</span>}
          <span className="text-xs text-slate-400">via {e.source}</span>
          <span className="ml-auto text-xs whitespace-nowrap text-slate-500">
            <TimeAgo at={e.at} />
          </span>
        </li>
      ))}
    </ul>
  )
}
