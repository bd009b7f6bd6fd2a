'use client'
// The image page of one tag: sizes, pull commands, its layers (once, with the build steps per layer),
// configuration and the tag's history. Rendered first on the server; re-rendered from there every 2 s
// until the background compressed size is known.
import Link from 'next/link'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import type { TagAnswer } from '../api-client'
import { api, repositoryHref } from '../routes'
import { Breadcrumbs } from '../breadcrumbs'
import { PendingPage, type Failure } from '../page-states'
import { DeleteTagButton } from '../delete-tag-button'
import { useRefreshWhile } from '../use-refresh-while'
import { flash } from '../flash'
import { SizeCards } from './size-cards'
import { LayerList } from './layer-list'
import { ConfigPanel } from './config-panel'
import { TagHistory } from './tag-history'
import { PullCommands } from './pull-commands'
import { IndexView } from './index-view'
import { ArchiveDownload } from './index-download'
import { Section, TagHeader } from './page-parts'
import { DeleteImageButton, type DeletedImage } from './delete-image-button'
import { ImageDeleted } from './image-deleted'
import { ImageFiles, type FilesChoice } from '../layers/image-files'
import { UsagePanel } from '../layers/usage-panel'
import { EfficiencyPanel } from '../layers/efficiency-panel'

export function ImageView({ repository, tag, data, error }: { repository: string; tag: string; data: TagAnswer | null; error: Failure | null }) {
  const router = useRouter()
  const [deleted, setDeleted] = useState<DeletedImage | null>(null)
  // the Files section: the whole image or one layer; focus moves there when a layer row asks
  const [files, setFiles] = useState<{ choice: FilesChoice; focus: number }>({ choice: 'image', focus: 0 })
  useRefreshWhile(!deleted && data?.sizes.compressedState === 'pending', data)

  // Back to the repository: it stays (with the image untagged, pullable by digest) until garbage collection.
  const afterDelete = () => {
    flash(`Deleted tag ${repository}:${tag}`)
    router.replace(repositoryHref(repository))
  }

  const crumbs = <Breadcrumbs items={[{ label: 'Repositories', href: '/' }, { label: repository, href: repositoryHref(repository) }, { label: tag }]} />
  if (error || !data) {
    const toRepositories = error?.code === 'REPOSITORY_NOT_FOUND'
    const back = (
      <Link href={toRepositories ? '/' : repositoryHref(repository)} className="btn-secondary">
        {toRepositories ? 'All repositories' : `Tags of ${repository}`}
      </Link>
    )
    return <PendingPage crumbs={crumbs} error={error} onRetry={() => router.refresh()} back={back} loadingLabel="Loading image…" />
  }

  if (deleted) return <ImageDeleted repository={repository} result={deleted} crumbs={crumbs} />
  const deleteImage = <DeleteImageButton repository={data.repository} digest={data.digest} tags={null} onDeleted={setDeleted} />
  if (data.kind === 'index') return <IndexView data={data} crumbs={crumbs} onDeleted={afterDelete} deleteImage={deleteImage} />
  const platform = [data.platform.os, data.platform.architecture, data.platform.variant].filter(Boolean).join('/')
  const steps = data.history.length
  // the image-level endpoints by digest: the page stays on this image even if the tag moves meanwhile
  const image = api.image(data.repository, { digest: data.digest })
  return (
    <div className="space-y-6">
      <TagHeader
        crumbs={crumbs}
        data={data}
        facts={
          <>
            {platform && <span className="rounded-md bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">{platform}</span>}
            <span>
              {data.layers.length} {data.layers.length === 1 ? 'layer' : 'layers'}
            </span>
          </>
        }
        actions={
          <div className="flex flex-wrap items-center gap-2">
            <ArchiveDownload repository={data.repository} tag={data.tag} platforms={[]} />
            <DeleteTagButton variant="button" repository={data.repository} tag={data.tag} digest={data.digest} onDeleted={afterDelete} />
            {deleteImage}
          </div>
        }
      />

      <SizeCards sizes={data.sizes} />

      <Section id="pull-title" title="Pull this image">
        <PullCommands repository={data.repository} tag={data.tag} digest={data.digest} />
      </Section>

      <Section
        id="layers-title"
        title={`Layers (${data.layers.length})`}
        subtitle={`Share of the uncompressed image, the three sizes, and the build steps of each layer${steps ? ` (${steps} steps in all)` : ''}. Each layer is stored once, addressed by its sha256 digest.`}
        flush
      >
        <LayerList detail={data} onBrowse={(position) => setFiles((f) => ({ choice: position, focus: f.focus + 1 }))} />
      </Section>

      <ImageFiles image={image} layers={data.layers} choice={files.choice} onChoose={(choice) => setFiles((f) => ({ ...f, choice }))} focusToken={files.focus} />

      <UsagePanel image={image} />
      <EfficiencyPanel image={image} />

      <div className="grid gap-6 lg:grid-cols-5">
        <div className="min-w-0 lg:col-span-3">
          <Section id="config-title" title="Configuration">
            <ConfigPanel detail={data} />
          </Section>
        </div>
        <div className="min-w-0 lg:col-span-2">
          <Section id="tag-history-title" title="Tag history" subtitle={`Images ${data.tag} pointed to, newest first.`} flush>
            <TagHistory repository={data.repository} tag={data.tag} entries={data.tagHistory} current={data.digest} />
          </Section>
        </div>
      </div>
    </div>
  )
}
