'use client'
// Which images this tag pointed to over time (uploads, pushes, deletions, console changes). Each
// digest links to that image; an earlier one can be made current again ("Point tag here").
import Link from 'next/link'
import type { TagDetail } from '../api-client'
import { TimeAgo } from '../time-ago'
import { PointTagButton } from '../point-tag-button'
import { digestHref } from '../routes'
import { shortDigest } from '@/lib/format'

const ACTION_STYLE: Record<string, string> = {
  set: 'bg-emerald-50 text-emerald-800',
  delete: 'bg-red-50 text-red-800',
}

export function TagHistory({ repository, tag, entries, current }: { repository: string; tag: string; entries: TagDetail['tagHistory']; current: string }) {
  if (!entries.length) return <p className="px-5 py-4 text-sm text-slate-600">No changes recorded.</p>
  const offered = new Set<string>([current]) // one "point here" per earlier image
  return (
    <ul className="divide-y divide-slate-100" data-testid="tag-history">
      {entries.map((e, i) => {
        const offer = !offered.has(e.digest)
        offered.add(e.digest)
        return (
          <li key={i} className="flex flex-wrap items-center gap-x-3 gap-y-1.5 px-5 py-2.5 text-sm" data-testid="tag-history-entry">
            <span className={`rounded-md px-2 py-0.5 text-xs font-medium ${ACTION_STYLE[e.action] ?? 'bg-slate-100 text-slate-700'}`}>
              {e.action === 'set' ? 'tagged' : e.action === 'delete' ? 'deleted' : e.action}
            </span>
            <Link href={digestHref(repository, e.digest, tag)} prefetch={false} className="font-mono text-xs text-indigo-700 hover:underline" title={e.digest}>
              {shortDigest(e.digest)}
            </Link>
            {e.digest === current && i === 0 && <span className="rounded-md bg-indigo-50 px-1.5 py-0.5 text-xs font-medium text-indigo-800">current</span>}
            <span className="text-xs text-slate-600">via {e.source}</span>
            <span className="ml-auto flex items-center gap-2 text-xs whitespace-nowrap text-slate-600">
              {offer && <PointTagButton repository={repository} tag={tag} digest={e.digest} />}
              <TimeAgo at={e.at} />
            </span>
          </li>
        )
      })}
    </ul>
  )
}
