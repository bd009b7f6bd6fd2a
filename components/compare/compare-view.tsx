'use client'
// Two images of one repository side by side (/repositories/<name>/-/compare?from=&to=): the headline
// sentence, the three sizes with their deltas, the layers shared / added / removed, and the changed
// files a page at a time (largest change first). Waits with "Indexing…" while the server indexes.
import Link from 'next/link'
import { useState } from 'react'
import { api, repositoryHref, tagHref } from '../routes'
import { Breadcrumbs } from '../breadcrumbs'
import { Bytes } from '../sizes'
import { Spinner, ErrorPanel } from '../page-states'
import { Section } from '../image/page-parts'
import { useApiPoll } from '../layers/use-api-poll'
import type { Building } from '../layers/file-types'
import { modeString } from '../layers/file-types'
import { shortDigest } from '@/lib/format'
import { CompareForm } from './compare-form'
import { compareHeadline, signedBytes, type Comparison, type SizePair } from './compare-types'

const CHANGES_PER_PAGE = 100

const refHref = (repository: string, ref: string) => (ref.startsWith('sha256:') ? `${repositoryHref(repository)}/-/digests/${ref}` : tagHref(repository, ref))

function SizeRow({ label, pair }: { label: string; pair: SizePair | null | undefined }) {
  return (
    <div className="grid grid-cols-[minmax(0,1fr)_auto] gap-x-3 py-2 text-sm sm:grid-cols-[8rem_1fr_1fr_1fr]" data-testid={`size-${label.toLowerCase()}`}>
      <dt className="font-medium text-slate-900">{label}</dt>
      {pair && pair.delta !== null ? (
        <>
          <dd className="text-right tabular-nums sm:order-none">
            <span className="text-slate-600 sm:sr-only">from </span>
            <Bytes value={pair.from} />
          </dd>
          <dd className="col-span-2 text-right tabular-nums sm:col-span-1">
            <span className="text-slate-600 sm:sr-only">to </span>
            <Bytes value={pair.to} />
          </dd>
          <dd className={`col-span-2 text-right font-medium tabular-nums sm:col-span-1 ${pair.delta > 0 ? 'text-red-700' : pair.delta < 0 ? 'text-emerald-700' : 'text-slate-700'}`} data-testid="delta">
            {signedBytes(pair.delta)}
          </dd>
        </>
      ) : (
        <dd className="text-right text-slate-600 sm:col-span-3">not measured yet</dd>
      )}
    </div>
  )
}

function LayerGroup({ title, digests, tone }: { title: string; digests: string[]; tone: string }) {
  return (
    <div className="min-w-0" data-testid={`layers-${title.toLowerCase()}`}>
      <h3 className="text-xs font-semibold tracking-wide text-slate-600 uppercase">
        {title} ({digests.length})
      </h3>
      <ul className="mt-1 space-y-0.5">
        {digests.map((d) => (
          <li key={d} className={`font-mono text-xs ${tone}`} title={d}>
            {shortDigest(d)}
          </li>
        ))}
        {digests.length === 0 && <li className="text-xs text-slate-600">none</li>}
      </ul>
    </div>
  )
}

const CHANGE_TONE = { added: 'bg-emerald-100 text-emerald-900', removed: 'bg-red-100 text-red-900', changed: 'bg-amber-100 text-amber-900' }

function Changes({ c, onPage }: { c: Comparison; onPage: (p: number) => void }) {
  const pageSize = c.pageSize ?? CHANGES_PER_PAGE
  const current = c.page ?? 1
  const pages = Math.max(1, Math.ceil(c.files.total / pageSize))
  return (
    <>
      <ul className="divide-y divide-slate-100" data-testid="changes">
        {c.changes.map((f) => (
          <li key={f.path} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 px-5 py-2 text-sm" data-testid="change-row" data-change={f.change}>
            <span className={`rounded px-1.5 py-0.5 text-[11px] font-medium ${CHANGE_TONE[f.change]}`}>{f.change}</span>
            <span className="min-w-0 flex-1 basis-48 font-mono text-xs break-all text-slate-900">{f.path}</span>
            <span className="text-xs text-slate-600 tabular-nums">
              {f.fromSize !== null && <Bytes value={f.fromSize} />}
              {f.fromSize !== null && f.toSize !== null && ' → '}
              {f.toSize !== null && <Bytes value={f.toSize} />}
            </span>
            <span className="w-20 text-right text-xs font-medium tabular-nums">{signedBytes(f.delta)}</span>
            {f.fromMode !== undefined && f.toMode !== undefined && f.fromMode !== f.toMode && (
              <span className="basis-full font-mono text-xs text-slate-600">
                mode {modeString('file', f.fromMode)} → {modeString('file', f.toMode)}
              </span>
            )}
          </li>
        ))}
      </ul>
      {pages > 1 && (
        <nav aria-label="Pages of changes" className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-100 px-5 py-3 text-sm text-slate-700">
          <span>
            page {current} of {pages}
          </span>
          <span className="flex gap-2">
            <button type="button" className="btn-secondary px-3 py-1.5" disabled={current <= 1} onClick={() => onPage(current - 1)}>
              ← Previous
            </button>
            <button type="button" className="btn-secondary px-3 py-1.5" disabled={current >= pages} onClick={() => onPage(current + 1)}>
              Next →
            </button>
          </span>
        </nav>
      )}
    </>
  )
}

export function CompareView({ repository, from, to }: { repository: string; from: string; to: string }) {
  const [page, setPage] = useState(1)
  const ready = !!from && !!to
  const answer = useApiPoll<Comparison, Building>(ready ? api.compare(repository, from, to, page, CHANGES_PER_PAGE) : null)
  const crumbs = <Breadcrumbs items={[{ label: 'Repositories', href: '/' }, { label: repository, href: repositoryHref(repository) }, { label: 'Compare' }]} />
  return (
    <div className="space-y-6">
      <div>
        {crumbs}
        <h1 className="text-2xl font-semibold tracking-tight break-all">
          {ready ? (
            <>
              {repository}: <span className="text-indigo-700">{from}</span> → <span className="text-indigo-700">{to}</span>
            </>
          ) : (
            `Compare two images of ${repository}`
          )}
        </h1>
        <div className="mt-3">
          <CompareForm repository={repository} tags={[]} from={from} to={to} />
        </div>
      </div>
      {!ready && <p className="text-sm text-slate-600">Name two tags (or sha256 digests) of this repository.</p>}
      {ready && answer.state === 'loading' && (
        <p role="status" className="flex items-center gap-2 text-sm text-slate-600">
          <Spinner /> Comparing…
        </p>
      )}
      {answer.state === 'waiting' && (
        <p role="status" className="flex items-center gap-2 text-sm text-slate-700" data-testid="indexing">
          <Spinner /> Indexing the layers of both images… (this page asks again every 2 s)
        </p>
      )}
      {answer.state === 'failed' && (
        <ErrorPanel error={answer.error}>
          <Link href={repositoryHref(repository)} className="btn-secondary">
            Tags of {repository}
          </Link>
        </ErrorPanel>
      )}
      {answer.state === 'ready' && <Result repository={repository} c={answer.body} onPage={setPage} />}
    </div>
  )
}

function Result({ repository, c, onPage }: { repository: string; c: Comparison; onPage: (p: number) => void }) {
  return (
    <>
      <p className="rounded-xl border border-indigo-100 bg-indigo-50 px-5 py-4 text-base font-medium text-indigo-950" data-testid="compare-headline">
        {compareHeadline(c)}
      </p>
      <Section id="compare-sizes-title" title="Sizes" subtitle={<>From <Link className="text-indigo-700 hover:underline" href={refHref(repository, c.from.reference)}>{c.from.reference}</Link> ({shortDigest(c.from.digest)}) to <Link className="text-indigo-700 hover:underline" href={refHref(repository, c.to.reference)}>{c.to.reference}</Link> ({shortDigest(c.to.digest)}).</>}>
        <div className="hidden grid-cols-[8rem_1fr_1fr_1fr] gap-x-3 border-b border-slate-100 pb-1 text-right text-xs font-medium text-slate-600 sm:grid" aria-hidden="true">
          <span />
          <span>{c.from.reference}</span>
          <span>{c.to.reference}</span>
          <span>Change</span>
        </div>
        <dl className="divide-y divide-slate-100">
          <SizeRow label="Uncompressed" pair={c.sizes.uncompressed} />
          <SizeRow label="Compressed" pair={c.sizes.compressed} />
          {c.sizes.packed !== undefined && <SizeRow label="Packed" pair={c.sizes.packed} />}
        </dl>
      </Section>
      <Section id="compare-layers-title" title="Layers" subtitle="Shared layers are stored once and not pulled again; only added layers travel.">
        <div className="grid gap-4 sm:grid-cols-3">
          <LayerGroup title="Shared" digests={c.layers.shared} tone="text-slate-700" />
          <LayerGroup title="Added" digests={c.layers.added} tone="text-emerald-800" />
          <LayerGroup title="Removed" digests={c.layers.removed} tone="text-red-800" />
        </div>
      </Section>
      {c.biggestDirectories.length > 0 && (
        <Section id="compare-dirs-title" title="Folders that changed most">
          <ul className="divide-y divide-slate-100" data-testid="compare-directories">
            {c.biggestDirectories.map((d) => (
              <li key={d.path} className="flex items-baseline justify-between gap-3 py-1.5">
                <span className="min-w-0 font-mono text-xs break-all text-slate-900">/{d.path.replace(/^\/+/, '')}</span>
                <span className="shrink-0 text-xs font-medium tabular-nums">{signedBytes(d.delta)}</span>
              </li>
            ))}
          </ul>
        </Section>
      )}
      <Section id="compare-files-title" title={`File changes (${c.files.total})`} subtitle={`${c.files.added} added, ${c.files.removed} removed, ${c.files.changed} changed; largest change first.`} flush>
        {c.changes.length ? <Changes c={c} onPage={onPage} /> : <p className="px-5 py-4 text-sm text-slate-600">No file differs.</p>}
      </Section>
    </>
  )
}
