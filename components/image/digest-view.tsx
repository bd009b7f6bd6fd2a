'use client'
// One image of a repository by digest (/repositories/<name>/-/digests/<digest>): an earlier image of a
// tag, say. What it is, which tags point at it now, how to pull it, and "point a tag here".
import Link from 'next/link'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import type { ImageByDigest } from '../api-client'
import { repositoryHref, tagHref } from '../routes'
import { Breadcrumbs } from '../breadcrumbs'
import { PendingPage, type Failure } from '../page-states'
import { CopyButton } from '../copy-button'
import { Bytes } from '../sizes'
import { PointTagButton } from '../point-tag-button'
import { DeleteImageButton, type DeletedImage } from './delete-image-button'
import { ImageDeleted } from './image-deleted'
import { useRegistryHost } from '../use-registry-host'
import { Section } from './page-parts'
import { ImageFiles, type FilesChoice } from '../layers/image-files'
import { UsagePanel } from '../layers/usage-panel'
import { EfficiencyPanel } from '../layers/efficiency-panel'
import { api } from '../routes'
import { shortDigest, formatDateTime } from '@/lib/format'
import { tagNameProblem } from '@/lib/registry/names'

export function DigestView({ repository, digest, suggestedTag, data, error }: { repository: string; digest: string; suggestedTag: string; data: ImageByDigest | null; error: Failure | null }) {
  const router = useRouter()
  const registry = useRegistryHost()
  const [tag, setTag] = useState(suggestedTag)
  const [deleted, setDeleted] = useState<DeletedImage | null>(null)
  const [files, setFiles] = useState<FilesChoice>('image')
  const crumbs = <Breadcrumbs items={[{ label: 'Repositories', href: '/' }, { label: repository, href: repositoryHref(repository) }, { label: shortDigest(digest) }]} />
  if (error || !data) {
    const back = (
      <Link href={error?.code === 'REPOSITORY_NOT_FOUND' ? '/' : repositoryHref(repository)} className="btn-secondary">
        {error?.code === 'REPOSITORY_NOT_FOUND' ? 'All repositories' : `Tags of ${repository}`}
      </Link>
    )
    return <PendingPage crumbs={crumbs} error={error} onRetry={() => router.refresh()} back={back} loadingLabel="Loading image…" />
  }
  if (deleted) return <ImageDeleted repository={repository} result={deleted} crumbs={crumbs} />
  const problem = tag ? tagNameProblem(tag) : null
  const pull = registry ? `docker pull ${registry.host}/${data.repository}@${data.digest}` : null
  return (
    <div className="space-y-6">
      <div>
        {crumbs}
        <div className="flex flex-wrap items-start justify-between gap-4">
          <h1 className="min-w-0 text-2xl font-semibold tracking-tight break-all">
            {data.repository}
            <span className="text-slate-600">@</span>
            <span className="font-mono text-xl text-indigo-700">{shortDigest(data.digest)}</span>
          </h1>
          <DeleteImageButton repository={data.repository} digest={data.digest} tags={data.tags} onDeleted={setDeleted} />
        </div>
        <div className="mt-2 flex flex-wrap items-center gap-x-4 gap-y-2 text-sm text-slate-600">
          <span className="inline-flex min-w-0 items-center gap-2">
            <span className="font-mono text-xs break-all text-slate-700">{data.digest}</span>
            <CopyButton text={data.digest} label="Copy digest" />
          </span>
          {data.platform && <span className="rounded-md bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">{data.platform}</span>}
          <span>
            {data.layerCount} {data.layerCount === 1 ? 'layer' : 'layers'}
          </span>
          <span>
            uncompressed <Bytes value={data.uncompressed} />
          </span>
          <span>stored {formatDateTime(data.createdAt)}</span>
        </div>
      </div>

      <Section id="tags-now-title" title="Tags pointing here now">
        {data.tags.length ? (
          <ul className="flex flex-wrap gap-2" data-testid="digest-tags">
            {data.tags.map((t) => (
              <li key={t}>
                <Link href={tagHref(data.repository, t)} prefetch={false} className="rounded-md bg-indigo-50 px-2 py-1 font-mono text-xs text-indigo-800 hover:underline">
                  {t}
                </Link>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-600">No tag points to this image; it can still be pulled by digest until its data is garbage-collected.</p>
        )}
      </Section>

      <Section id="point-title" title="Point a tag here">
        <form className="flex flex-col gap-3 sm:flex-row sm:items-end" onSubmit={(e) => e.preventDefault()}>
          <label className="min-w-0 flex-1 text-sm text-slate-700">
            Tag
            <input className="input mt-1 font-mono" value={tag} onChange={(e) => setTag(e.target.value.trim())} placeholder="e.g. latest" aria-invalid={!!problem} />
          </label>
          {tag && !problem && !data.tags.includes(tag) ? (
            <PointTagButton repository={data.repository} tag={tag} digest={data.digest} label={`Point ${tag} here`} className="btn-primary shrink-0 break-all" onDone={() => router.push(tagHref(data.repository, tag))} />
          ) : (
            <span className="text-xs text-slate-600">{problem ?? (tag ? `${tag} already points here` : 'type a tag of this repository')}</span>
          )}
        </form>
      </Section>

      {/* an image (an index has no layers of its own: its platform images have their pages) */}
      {data.layerCount > 0 && (
        <>
          <ImageFiles image={api.image(data.repository, { digest: data.digest })} layers={null} choice={files} onChoose={setFiles} focusToken={0} />
          <UsagePanel image={api.image(data.repository, { digest: data.digest })} />
          <EfficiencyPanel image={api.image(data.repository, { digest: data.digest })} />
        </>
      )}

      {pull && (
        <Section id="pull-title" title="Pull this image by digest">
          <div className="flex min-w-0 items-start gap-2 rounded-lg bg-slate-900 py-1.5 pr-1.5 pl-3">
            <code className="min-w-0 flex-1 py-0.5 font-mono text-xs break-all whitespace-pre-wrap text-slate-100">{pull}</code>
            <CopyButton text={pull} className="border-slate-700 bg-slate-800 text-slate-200" />
          </div>
        </Section>
      )}
    </div>
  )
}
