// A repository's untagged images (no tag points to them): each links to its page by digest, where it can
// be deleted for good. Garbage collection deletes them after the grace period, retention after its days.
import Link from 'next/link'
import type { UntaggedImages } from './api-client'
import { digestHref } from './routes'
import { TimeAgo } from './time-ago'
import { shortDigest } from '@/lib/format'

export function UntaggedImagesSection({ repository, list }: { repository: string; list: UntaggedImages }) {
  if (!list.images.length) return null
  const n = list.images.length
  return (
    <section className="card mt-6 min-w-0" aria-labelledby="untagged-title" data-testid="untagged-images">
      <header className="border-b border-slate-100 px-5 py-3.5">
        <h2 id="untagged-title" className="text-sm font-semibold text-slate-900">
          Untagged images ({n}
          {list.more ? '+' : ''})
        </h2>
        <p className="mt-0.5 text-xs text-slate-600">No tag points to these; they can be pulled by digest until garbage collection deletes them. Open one to delete it now.</p>
      </header>
      <ul className="divide-y divide-slate-100">
        {list.images.map((m) => (
          <li key={m.digest} data-testid="untagged-image" data-digest={m.digest} className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 px-5 py-2.5 text-sm">
            <Link href={digestHref(repository, m.digest)} prefetch={false} className="font-mono text-xs text-indigo-700 hover:underline" title={m.digest}>
              {shortDigest(m.digest)}
            </Link>
            <span className="text-xs text-slate-600">
              {m.platform ?? (m.mediaType.includes('index') || m.mediaType.includes('list') ? 'multi-platform' : '—')} · stored <TimeAgo at={m.createdAt} />
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}
