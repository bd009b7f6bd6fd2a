'use client'
// The repositories list: search, sort and page live in the URL (?q=, ?sort=, ?page=), so a list can be
// shared and survives reloads; the server renders each URL (app/page.tsx) and this component only
// changes the URL. Rows link without prefetching (a long list must not fetch every repository page).
import Link from 'next/link'
import { useRouter } from 'next/navigation'
import { useEffect, useRef, useState, useTransition } from 'react'
import type { RepositoryPage } from './api-client'
import { repositoryHref } from './routes'
import { ErrorPanel, EmptyState, Spinner, type Failure } from './page-states'
import { Pagination } from './pagination'
import { TimeAgo } from './time-ago'
import { Bytes } from './sizes'
import { PublicBadge } from './accounts/parts'

const SORTS = [
  { value: 'name', label: 'Name (A–Z)' },
  { value: 'updated', label: 'Last updated' },
  { value: 'size', label: 'Size (largest first)' },
] as const

export function RepositoryBrowser({ q, sort, pageSize, data, error, publicNames = [] }: { q: string; sort: string; pageSize?: number; data: RepositoryPage | null; error: Failure | null; publicNames?: string[] }) {
  const router = useRouter()
  const [navigating, startNavigation] = useTransition()

  const hrefFor = (next: { q?: string; page?: number; sort?: string }) => {
    const s = new URLSearchParams()
    const nq = next.q ?? q
    if (nq) s.set('q', nq)
    const ns = next.sort ?? sort
    if (ns !== 'name') s.set('sort', ns)
    const np = next.page ?? 1
    if (np > 1) s.set('page', String(np))
    if (pageSize) s.set('pageSize', String(pageSize))
    const str = s.toString()
    return str ? `/?${str}` : '/'
  }
  const go = (href: string) => startNavigation(() => router.replace(href, { scroll: false }))

  // Typing searches after a short pause; the URL is the source of truth.
  const [input, setInput] = useState(q)
  const lastPushed = useRef(q)
  useEffect(() => {
    if (q !== lastPushed.current) {
      lastPushed.current = q
      setInput(q) // back/forward navigation changed the query
    }
  }, [q])
  useEffect(() => {
    const wanted = input.trim()
    if (wanted === lastPushed.current) return
    const t = setTimeout(() => {
      lastPushed.current = wanted
      go(hrefFor({ q: wanted, page: 1 }))
    }, 250)
    return () => clearTimeout(t)
  }, [input]) // only typing starts a search; URL changes are handled above

  const empty = data && data.total === 0
  return (
    <div>
      <div className="mb-6 flex flex-wrap items-end justify-between gap-4">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight">Repositories</h1>
          <p className="mt-1 text-sm text-slate-600">Images uploaded as archives or pushed with docker, podman or skopeo.</p>
        </div>
        <Link href="/upload" className="btn-primary">
          <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
            <path d="M10 13V3m0 0L6 7m4-4 4 4M3 13v2a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-2" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          Upload images
        </Link>
      </div>

      <div className="mb-4 flex flex-col gap-3 sm:flex-row">
        <form
          role="search"
          className="relative min-w-0 flex-1"
          onSubmit={(e) => {
            e.preventDefault()
            lastPushed.current = input.trim()
            go(hrefFor({ q: input.trim(), page: 1 }))
          }}
        >
          <svg viewBox="0 0 20 20" className="pointer-events-none absolute top-1/2 left-3 h-4 w-4 -translate-y-1/2 text-slate-600" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
            <circle cx="9" cy="9" r="5.5" />
            <path d="m13.5 13.5 3.5 3.5" strokeLinecap="round" />
          </svg>
          <input
            type="search"
            aria-label="Search repositories"
            placeholder="Search repositories…"
            value={input}
            onChange={(e) => setInput(e.target.value)}
            className="input py-2.5 pl-9"
          />
          {navigating && (
            <span className="absolute top-1/2 right-3 -translate-y-1/2" data-testid="list-loading">
              <Spinner />
            </span>
          )}
        </form>
        <label className="flex shrink-0 items-center gap-2 text-sm text-slate-700">
          Sort by
          <select aria-label="Sort repositories by" value={sort} onChange={(e) => go(hrefFor({ sort: e.target.value, page: 1 }))} className="input w-auto py-2.5">
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
      </div>

      {error || !data ? (
        <ErrorPanel error={error ?? { status: 0, code: 'UNEXPECTED', message: 'no data' }} onRetry={() => router.refresh()} />
      ) : empty && !q ? (
        <EmptyState title="No images yet" action={{ href: '/upload', label: 'Upload a docker save archive' }}>
          <p>
            Save an image with <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs break-all">docker save -o app.tar repo:tag</code> and upload the file, or push
            to this registry with docker, podman or skopeo.
          </p>
        </EmptyState>
      ) : empty ? (
        <EmptyState title={`No repositories match “${q}”`}>
          <p>
            Try another part of the name, or{' '}
            <Link className="text-indigo-700 hover:underline" href="/" prefetch={false} onClick={() => setInput('')}>
              show all repositories
            </Link>
            .
          </p>
        </EmptyState>
      ) : (
        <div className="card relative overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs font-medium tracking-wide text-slate-600 uppercase">
              <tr>
                <th scope="col" className="px-4 py-3">
                  Repository
                </th>
                <th scope="col" className="hidden px-4 py-3 text-right sm:table-cell">
                  Tags
                </th>
                <th scope="col" className="px-4 py-3 text-right" title="uncompressed size of the distinct layers its tags reference">
                  Size
                </th>
                <th scope="col" className="px-4 py-3 text-right">
                  <span className="hidden sm:inline">Last updated</span>
                  <span className="sm:hidden">Updated</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {data.repositories.map((r) => (
                <tr key={r.name} className="group hover:bg-slate-50" data-testid="repository-row" data-repository={r.name}>
                  <td className="px-4 py-3">
                    <Link href={repositoryHref(r.name)} prefetch={false} className="flex items-center gap-2 font-medium text-slate-900 group-hover:text-indigo-700">
                      <svg viewBox="0 0 20 20" className="hidden h-4 w-4 shrink-0 text-slate-600 sm:block" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
                        <path d="M3 6.5 10 3l7 3.5-7 3.5-7-3.5Zm0 3.5 7 3.5 7-3.5M3 13.5 10 17l7-3.5" strokeLinejoin="round" />
                      </svg>
                      <span className="break-all">{r.name}</span>
                      {publicNames.includes(r.name) && <PublicBadge />}
                    </Link>
                    <span className="text-xs text-slate-600 sm:hidden">
                      {r.tagCount} {r.tagCount === 1 ? 'tag' : 'tags'}
                    </span>
                  </td>
                  <td className="hidden px-4 py-3 text-right whitespace-nowrap text-slate-700 tabular-nums sm:table-cell">
                    {r.tagCount} {r.tagCount === 1 ? 'tag' : 'tags'}
                  </td>
                  <td className="px-4 py-3 text-right whitespace-nowrap text-slate-700" data-testid="repository-size">
                    {r.sizeComplete ? <Bytes value={r.size} /> : <span title="a pushed layer is still being measured">≥ <Bytes value={r.size} /></span>}
                  </td>
                  <td className="px-4 py-3 text-right whitespace-nowrap text-slate-600">
                    <TimeAgo at={r.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={data.page} pageSize={data.pageSize} total={data.total} hrefFor={(p) => hrefFor({ page: p })} />
        </div>
      )}
    </div>
  )
}
