'use client'
// The parts the image page and the multi-platform (index) page share: the head of a tag's page (crumbs,
// repository:tag, digest with copy button, facts, actions) and a titled card section.
import type { ReactNode } from 'react'
import { CopyButton } from '../copy-button'
import { TimeAgo } from '../time-ago'

export function Section({ title, subtitle, children, flush = false, id }: { title: string; subtitle?: ReactNode; children: ReactNode; flush?: boolean; id: string }) {
  return (
    <section className="card min-w-0" aria-labelledby={id}>
      <header className="border-b border-slate-100 px-5 py-3.5">
        <h2 id={id} className="text-sm font-semibold text-slate-900">
          {title}
        </h2>
        {subtitle && <p className="mt-0.5 text-xs text-slate-600">{subtitle}</p>}
      </header>
      <div className={flush ? '' : 'px-5 py-4'}>{children}</div>
    </section>
  )
}

/** The head of a tag's page: `facts` stand between the digest and "updated …"; `actions` (with their own wrapper) at the right. */
export function TagHeader({ crumbs, data, facts, actions }: { crumbs: ReactNode; data: { repository: string; tag: string; digest: string; updatedAt: string | null | undefined }; facts: ReactNode; actions: ReactNode }) {
  const { repository, tag, digest, updatedAt } = data
  return (
    <div>
      {crumbs}
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight break-all">
            {repository}
            <span className="text-slate-600">:</span>
            <span className="text-indigo-700">{tag}</span>
          </h1>
          <div className="mt-2 flex flex-wrap items-center gap-x-4 gap-y-2 text-sm text-slate-600">
            <span className="inline-flex min-w-0 items-center gap-2">
              <span className="font-mono text-xs break-all text-slate-700" title={digest}>
                {digest.slice(0, 7 + 16)}…
              </span>
              <CopyButton text={digest} label="Copy digest" />
            </span>
            {facts}
            <span>
              updated <TimeAgo at={updatedAt} />
            </span>
          </div>
        </div>
        {actions}
      </div>
    </div>
  )
}
