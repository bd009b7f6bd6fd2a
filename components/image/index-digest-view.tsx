'use client'
// One manifest by digest: a platform image of a multi-platform tag (it has no tag of its own), or an index.
import Link from 'next/link'
import type { ReactNode } from 'react'
import type { ManifestDetail, TagDetail } from '../api-client'
import { useApi } from '../use-api'
import { api, repositoryHref, tagHref } from '../routes'
import { Breadcrumbs } from '../breadcrumbs'
import { PendingPage } from '../page-states'
import { CopyButton } from '../copy-button'
import { useRegistryHost } from '../use-registry-host'
import { SizeCards } from './size-cards'
import { LayerTable } from './layer-table'
import { ConfigPanel } from './config-panel'
import { BuildHistory } from './build-history'
import { PlatformTable } from './index-view'
import { shortDigest } from '@/lib/format'

function Card({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={id}>
      <header className="border-b border-slate-100 px-5 py-3.5">
        <h2 id={id} className="text-sm font-semibold text-slate-900">
          {title}
        </h2>
      </header>
      {children}
    </section>
  )
}

function PullByDigest({ repository, digest }: { repository: string; digest: string }) {
  const registry = useRegistryHost()
  if (!registry) return null
  const command = `docker pull ${registry.host}/${repository}@${digest}`
  return (
    <div className="flex min-w-0 items-center gap-2 rounded-lg bg-slate-900 py-1.5 pr-1.5 pl-3">
      <code className="min-w-0 flex-1 overflow-x-auto font-mono text-xs whitespace-nowrap text-slate-100">{command}</code>
      <CopyButton text={command} className="border-slate-700 bg-slate-800 text-slate-200 hover:border-slate-500 hover:text-white" />
    </div>
  )
}

export function DigestView({ repository, digest }: { repository: string; digest: string }) {
  const { data, error, reload } = useApi<ManifestDetail>(api.digest(repository, digest), {
    pollMs: 2000,
    pollWhile: (d) => d.sizes.compressedState === 'pending',
  })
  const crumbs = <Breadcrumbs items={[{ label: 'Repositories', href: '/' }, { label: repository, href: repositoryHref(repository) }, { label: shortDigest(digest) }]} />
  if (error || !data) {
    const back = (
      <Link href={repositoryHref(repository)} className="btn-secondary">
        Tags of {repository}
      </Link>
    )
    return <PendingPage crumbs={crumbs} error={error} onRetry={reload} back={back} loadingLabel="Loading image…" />
  }
  const platform = data.kind === 'image' ? [data.platform.os, data.platform.architecture, data.platform.variant].filter(Boolean).join('/') : null
  return (
    <div className="space-y-6">
      <div>
        {crumbs}
        <h1 className="text-2xl font-semibold tracking-tight break-all" data-testid="digest-title">
          {data.repository}
          <span className="text-slate-400">@</span>
          <span className="font-mono text-lg text-indigo-700">{shortDigest(data.digest)}</span>
        </h1>
        <div className="mt-2 flex flex-wrap items-center gap-x-4 gap-y-2 text-sm text-slate-500">
          <CopyButton text={data.digest} label="Copy digest" />
          {platform && (
            <span className="rounded-md bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700" data-testid="digest-platform">
              {platform}
            </span>
          )}
          {data.kind === 'image' && <span>{data.layers.length} {data.layers.length === 1 ? 'layer' : 'layers'}</span>}
          <span>
            {data.tags.length ? (
              <>
                tagged{' '}
                {data.tags.map((t) => (
                  <Link key={t} href={tagHref(data.repository, t)} className="mr-1 text-indigo-700 hover:underline">
                    {t}
                  </Link>
                ))}
              </>
            ) : (
              'no tag of its own (a platform of a multi-platform tag)'
            )}
          </span>
        </div>
      </div>
      <SizeCards sizes={data.sizes} />
      <Card id="pull-title" title="Pull this image">
        <div className="px-5 py-4">
          <PullByDigest repository={data.repository} digest={data.digest} />
        </div>
      </Card>
      {data.kind === 'index' ? (
        <Card id="platforms-title" title={`Platforms (${data.platforms.length})`}>
          <PlatformTable repository={data.repository} platforms={data.platforms} />
        </Card>
      ) : (
        <>
          <Card id="layers-title" title={`Layers (${data.layers.length})`}>
            <LayerTable layers={data.layers} />
          </Card>
          <div className="grid gap-6 lg:grid-cols-5">
            <div className="lg:col-span-3">
              <Card id="config-title" title="Configuration">
                <div className="px-5 py-4">
                  <ConfigPanel detail={data as unknown as TagDetail} />
                </div>
              </Card>
            </div>
            <div className="lg:col-span-2">
              <Card id="history-title" title="Build history">
                <BuildHistory history={data.history} />
              </Card>
            </div>
          </div>
        </>
      )}
    </div>
  )
}
