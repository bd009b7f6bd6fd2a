'use client'
// The repositories list: search (kept in the URL as ?q=, so it can be shared and survives reloads),
// pagination, tag counts, last update; an empty registry points to the upload page.
import Link from 'next/link'
import { useRouter, useSearchParams } from 'next/navigation'
import { useEffect, useRef, useState } from 'react'
import type { RepositoryPage } from './api-client'
import { useApi } from './use-api'
import { api, repositoryHref } from './routes'
import { Loading, ErrorPanel, EmptyState, Spinner } from './page-states'
import { Pagination } from './pagination'
import { TimeAgo } from './time-ago'

const positiveInt = (raw: string | null, fallback: number) => {
  const n = Number.parseInt(raw ?? '', 10)
  return Number.isFinite(n) && n > 0 ? n : fallback
}

export function RepositoryBrowser() {
  const params = useSearchParams()
  const router = useRouter()
  const q = (params.get('q') ?? '').trim()
  const page = positiveInt(params.get('page'), 1)
  const pageSize = params.get('pageSize') ? positiveInt(params.get('pageSize'), 20) : undefined
  const { data, error, loading, reload } = useApi<RepositoryPage>(api.repositories(q, page, pageSize))

  const hrefFor = (next: { q?: string; page?: number }) => {
    const s = new URLSearchParams()
    const nq = next.q ?? q
    if (nq) s.set('q', nq)
    const np = next.page ?? 1
    if (np > 1) s.set('page', String(np))
    if (pageSize) s.set('pageSize', String(pageSize))
    const str = s.toString()
    return str ? `/?${str}` : '/'
  }

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
      router.replace(hrefFor({ q: wanted, page: 1 }), { scroll: false })
    }, 250)
    return () => clearTimeout(t)
  }, [input]) // only typing starts a search; URL changes are handled above

  const empty = data && data.total === 0
  return (
    <div>
      <div className="mb-6 flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Repositories</h1>
          <p className="mt-1 text-sm text-slate-500">Images uploaded as archives or pushed with docker, podman or skopeo.</p>
        </div>
        <Link href="/upload" className="btn-primary">
          <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
            <path d="M10 13V3m0 0L6 7m4-4 4 4M3 13v2a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-2" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          Upload images
        </Link>
      </div>

      <form
        role="search"
        className="relative mb-4"
        onSubmit={(e) => {
          e.preventDefault()
          lastPushed.current = input.trim()
          router.replace(hrefFor({ q: input.trim(), page: 1 }), { scroll: false })
        }}
      >
        <svg viewBox="0 0 20 20" className="pointer-events-none absolute top-1/2 left-3 h-4 w-4 -translate-y-1/2 text-slate-400" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
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
        {loading && data && (
          <span className="absolute top-1/2 right-3 -translate-y-1/2">
            <Spinner />
          </span>
        )}
      </form>

      {error ? (
        <ErrorPanel error={error} onRetry={reload} />
      ) : !data ? (
        <Loading label="Loading repositories…" />
      ) : empty && !q ? (
        <EmptyState title="No images yet" action={{ href: '/upload', label: 'Upload a docker save archive' }}>
          <p>
            Save an image with <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs">docker save -o app.tar repo:tag</code> and upload the file, or push
            to this registry with docker, podman or skopeo.
          </p>
        </EmptyState>
      ) : empty ? (
        <EmptyState title={`No repositories match “${q}”`}>
          <p>
            Try another part of the name, or{' '}
            <Link className="text-indigo-600 hover:underline" href="/" onClick={() => setInput('')}>
              show all repositories
            </Link>
            .
          </p>
        </EmptyState>
      ) : (
        <div className="card overflow-hidden">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs font-medium tracking-wide text-slate-500 uppercase">
              <tr>
                <th scope="col" className="px-4 py-3">
                  Repository
                </th>
                <th scope="col" className="px-4 py-3 text-right">
                  Tags
                </th>
                <th scope="col" className="px-4 py-3 text-right">
                  Last updated
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {data.repositories.map((r) => (
                <tr key={r.name} className="group hover:bg-slate-50" data-testid="repository-row">
                  <td className="px-4 py-3">
                    <Link href={repositoryHref(r.name)} className="flex items-center gap-2 font-medium text-slate-900 group-hover:text-indigo-700">
                      <svg viewBox="0 0 20 20" className="h-4 w-4 shrink-0 text-slate-400" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
                        <path d="M3 6.5 10 3l7 3.5-7 3.5-7-3.5Zm0 3.5 7 3.5 7-3.5M3 13.5 10 17l7-3.5" strokeLinejoin="round" />
                      </svg>
                      <span className="break-all">{r.name}</span>
                    </Link>
                  </td>
                  <td className="px-4 py-3 text-right text-slate-600 tabular-nums">
                    {r.tagCount} {r.tagCount === 1 ? 'tag' : 'tags'}
                  </td>
                  <td className="px-4 py-3 text-right whitespace-nowrap text-slate-500">
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
