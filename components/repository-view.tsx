'use client'
// One repository: its tags with digest, platform and sizes, each linking to the image page, and a
// delete button per tag. Polls while a compressed size is still being computed.
import Link from 'next/link'
import { useRouter } from 'next/navigation'
import { useEffect, useRef } from 'react'
import type { TagList } from './api-client'
import { useApi } from './use-api'
import { api, tagHref } from './routes'
import { Breadcrumbs } from './breadcrumbs'
import { PendingPage, EmptyState } from './page-states'
import { MeasuredBytes } from './sizes'
import { TimeAgo } from './time-ago'
import { CopyButton } from './copy-button'
import { DeleteTagButton } from './delete-tag-button'
import { useRegistryHost } from './use-registry-host'
import { shortDigest } from '@/lib/format'

export function RepositoryView({ repository }: { repository: string }) {
  const router = useRouter()
  const registry = useRegistryHost()
  const { data, error, reload } = useApi<TagList>(api.tags(repository), {
    pollWhile: (d) => d.tags.some((t) => t.sizes.compressedState === 'pending'),
  })

  // After the last tag is deleted the repository disappears from the list: go back there.
  const deleted = useRef(false)
  useEffect(() => {
    if (deleted.current && data && data.tags.length === 0) router.replace('/')
  }, [data, router])

  const crumbs = <Breadcrumbs items={[{ label: 'Repositories', href: '/' }, { label: repository }]} />
  if (error || !data) {
    const back = (
      <Link href="/" className="btn-secondary">
        All repositories
      </Link>
    )
    return <PendingPage crumbs={crumbs} error={error} onRetry={reload} back={back} loadingLabel="Loading tags…" />
  }

  return (
    <div>
      {crumbs}
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight break-all">{data.repository}</h1>
          <p className="mt-1 text-sm text-slate-500">
            {data.tags.length} {data.tags.length === 1 ? 'tag' : 'tags'}
          </p>
        </div>
        {registry && (
          <div className="flex items-center gap-2 rounded-lg border border-slate-200 bg-white py-1 pr-1 pl-3 font-mono text-xs text-slate-600 shadow-sm">
            <span className="break-all">
              {registry.host}/{data.repository}
            </span>
            <CopyButton text={`${registry.host}/${data.repository}`} />
          </div>
        )}
      </div>

      {data.tags.length === 0 ? (
        <EmptyState title="This repository has no tags" action={{ href: '/upload', label: 'Upload an image' }}>
          <p>Its last tag was deleted. Upload an archive named {data.repository}:TAG to add one.</p>
        </EmptyState>
      ) : (
        <div className="card overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs font-medium tracking-wide whitespace-nowrap text-slate-500 uppercase">
              <tr>
                <th scope="col" className="px-4 py-3">Tag</th>
                <th scope="col" className="px-4 py-3">Digest</th>
                <th scope="col" className="px-4 py-3">Platform</th>
                <th scope="col" className="px-4 py-3 text-right">Layers</th>
                <th scope="col" className="px-4 py-3 text-right">Uncompressed</th>
                <th scope="col" className="px-4 py-3 text-right">Compressed</th>
                <th scope="col" className="px-4 py-3 text-right">Updated</th>
                <th scope="col" className="px-4 py-3">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {data.tags.map((t) => (
                <tr key={t.name} className="group hover:bg-slate-50" data-testid="tag-row" data-tag={t.name}>
                  <td className="px-4 py-3">
                    <Link href={tagHref(data.repository, t.name)} className="inline-flex items-center gap-2 font-medium text-slate-900 group-hover:text-indigo-700">
                      <svg viewBox="0 0 20 20" className="h-4 w-4 text-slate-400" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
                        <path d="M3 4v5.2a1 1 0 0 0 .3.7l7 7a1 1 0 0 0 1.4 0l5-5a1 1 0 0 0 0-1.4l-7-7A1 1 0 0 0 9 3H4a1 1 0 0 0-1 1Z" strokeLinejoin="round" />
                        <circle cx="6.5" cy="6.5" r="1" fill="currentColor" />
                      </svg>
                      {t.name}
                    </Link>
                  </td>
                  <td className="px-4 py-3 font-mono text-xs text-slate-600" title={t.digest}>
                    {shortDigest(t.digest)}
                  </td>
                  <td className="px-4 py-3 whitespace-nowrap text-slate-600">{t.platform ?? '—'}</td>
                  <td className="px-4 py-3 text-right text-slate-600 tabular-nums">{t.layerCount}</td>
                  <td className="px-4 py-3 text-right whitespace-nowrap">
                    <MeasuredBytes value={t.sizes.uncompressed} state={t.sizes.compressedState} />
                  </td>
                  <td className="px-4 py-3 text-right whitespace-nowrap">
                    <MeasuredBytes value={t.sizes.compressed} state={t.sizes.compressedState} />
                  </td>
                  <td className="px-4 py-3 text-right whitespace-nowrap text-slate-500">
                    <TimeAgo at={t.updatedAt} />
                  </td>
                  <td className="px-2 py-2 text-right">
                    <DeleteTagButton
                      repository={data.repository}
                      tag={t.name}
                      digest={t.digest}
                      onDeleted={() => {
                        deleted.current = true
                        reload()
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}
