'use client'
// One repository: its tags with digest, platform and sizes, each linking to the image page, and a
// delete button per tag. Rendered first on the server (app/repositories/[...path]); re-rendered from
// there while a compressed size is still being computed and after a tag is deleted.
import Link from 'next/link'
import { useRouter } from 'next/navigation'
import type { TagList, UntaggedImages } from './api-client'
import { UntaggedImagesSection } from './untagged-images'
import { tagHref, repositoryHref } from './routes'
import { Breadcrumbs } from './breadcrumbs'
import { PendingPage, EmptyState, type Failure } from './page-states'
import { MeasuredBytes } from './sizes'
import { TimeAgo } from './time-ago'
import { CopyButton } from './copy-button'
import { DeleteTagButton } from './delete-tag-button'
import { useRegistryHost } from './use-registry-host'
import { useRefreshWhile } from './use-refresh-while'
import { flash } from './flash'
import { Pagination } from './pagination'
import { VisibilityToggle } from './accounts/visibility-toggle'
import { mayManage, useSession } from './accounts/use-session'
import { RetentionSection } from './retention/retention-section'
import { TagSelectionProvider, TagSelectBox, SelectedDownloadBar } from './tag-selection'
import { organizationOf } from '@/lib/auth/account-names'
import { shortDigest } from '@/lib/format'
import { CompareForm } from './compare/compare-form'

export function RepositoryView({ repository, data, error, isPublic = false, untagged = null }: { repository: string; data: TagList | null; error: Failure | null; isPublic?: boolean; untagged?: UntaggedImages | null }) {
  const router = useRouter()
  const registry = useRegistryHost()
  const owner = mayManage(useSession(), organizationOf(repository))
  useRefreshWhile(!!data?.tags.some((t) => t.sizes.compressedState === 'pending'), data)

  const crumbs = <Breadcrumbs items={[{ label: 'Repositories', href: '/' }, { label: repository }]} />
  if (error || !data) {
    const back = (
      <Link href="/" className="btn-secondary">
        All repositories
      </Link>
    )
    return <PendingPage crumbs={crumbs} error={error} onRetry={() => router.refresh()} back={back} loadingLabel="Loading tags…" />
  }

  // The repository stays (listed, its image pullable by digest) until garbage collection deletes the
  // untagged image: the page stays too, and shows it under "Untagged images".
  const afterDelete = (tag: string) => {
    flash(`Deleted tag ${data.repository}:${tag}`)
    router.refresh()
  }

  return (
    <div>
      {crumbs}
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight break-all">{data.repository}</h1>
          <p className="mt-1 text-sm text-slate-600">
            {data.total} {data.total === 1 ? 'tag' : 'tags'}
          </p>
          <div className="mt-2">
            <VisibilityToggle repository={data.repository} isPublic={isPublic} />
          </div>
          {data.tags.length > 1 && (
            <div className="mt-3">
              <CompareForm repository={data.repository} tags={data.tags.map((t) => t.name)} />
            </div>
          )}
        </div>
        {registry && (
          <div className="flex max-w-full min-w-0 items-center gap-2 rounded-lg border border-slate-200 bg-white py-1 pr-1 pl-3 font-mono text-xs text-slate-700 shadow-sm">
            <span className="min-w-0 break-all">
              {registry.host}/{data.repository}
            </span>
            <CopyButton text={`${registry.host}/${data.repository}`} />
          </div>
        )}
      </div>

      {data.total === 0 ? (
        <EmptyState title="This repository has no tags" action={{ href: '/upload', label: 'Upload an image' }}>
          <p>
            {untagged?.images.length
              ? 'Its images below can still be pulled by digest until garbage collection deletes them; point a tag at one from its page, or upload'
              : 'Upload'}{' '}
            an archive named {data.repository}:TAG to add one.
          </p>
        </EmptyState>
      ) : (
        // relative: the visually hidden header text is positioned inside the scroll box, not the page
        <TagSelectionProvider>
        <SelectedDownloadBar />
        <div className="card relative overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs font-medium tracking-wide whitespace-nowrap text-slate-600 uppercase">
              <tr>
                <th scope="col" className="w-8 py-3 pl-4">
                  <span className="sr-only">Select</span>
                </th>
                <th scope="col" className="px-4 py-3">Tag</th>
                <th scope="col" className="hidden px-4 py-3 md:table-cell">Digest</th>
                <th scope="col" className="hidden px-4 py-3 lg:table-cell">Platform</th>
                <th scope="col" className="hidden px-4 py-3 text-right lg:table-cell">Layers</th>
                <th scope="col" className="px-4 py-3 text-right">Uncompressed</th>
                <th scope="col" className="hidden px-4 py-3 text-right md:table-cell">Compressed</th>
                <th scope="col" className="hidden px-4 py-3 text-right sm:table-cell">Updated</th>
                <th scope="col" className="px-4 py-3">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {data.tags.map((t) => (
                <tr key={t.name} className="group hover:bg-slate-50" data-testid="tag-row" data-tag={t.name}>
                  <td className="py-3 pl-4">
                    <TagSelectBox repository={data.repository} tag={t.name} platforms={t.kind === 'index' ? t.platforms.filter((p): p is string => !!p) : []} />
                  </td>
                  <td className="px-4 py-3">
                    <Link href={tagHref(data.repository, t.name)} prefetch={false} className="inline-flex items-center gap-2 font-medium break-all text-slate-900 group-hover:text-indigo-700">
                      <svg viewBox="0 0 20 20" className="h-4 w-4 shrink-0 text-slate-600" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
                        <path d="M3 4v5.2a1 1 0 0 0 .3.7l7 7a1 1 0 0 0 1.4 0l5-5a1 1 0 0 0 0-1.4l-7-7A1 1 0 0 0 9 3H4a1 1 0 0 0-1 1Z" strokeLinejoin="round" />
                        <circle cx="6.5" cy="6.5" r="1" fill="currentColor" />
                      </svg>
                      {t.name}
                    </Link>
                    <div className="mt-0.5 font-mono text-xs text-slate-600 md:hidden">{shortDigest(t.digest)}</div>
                  </td>
                  <td className="hidden px-4 py-3 font-mono text-xs text-slate-700 md:table-cell" title={t.digest}>
                    {shortDigest(t.digest)}
                  </td>
                  <td className="hidden px-4 py-3 whitespace-nowrap text-slate-700 lg:table-cell">{t.platform ?? '—'}</td>
                  <td className="hidden px-4 py-3 text-right text-slate-700 tabular-nums lg:table-cell">{t.layerCount}</td>
                  <td className="px-4 py-3 text-right whitespace-nowrap">
                    <MeasuredBytes value={t.sizes.uncompressed} state={t.sizes.compressedState} />
                  </td>
                  <td className="hidden px-4 py-3 text-right whitespace-nowrap md:table-cell">
                    <MeasuredBytes value={t.sizes.compressed} state={t.sizes.compressedState} />
                  </td>
                  <td className="hidden px-4 py-3 text-right whitespace-nowrap text-slate-600 sm:table-cell">
                    <TimeAgo at={t.updatedAt} />
                  </td>
                  <td className="px-2 py-2 text-right">
                    <DeleteTagButton repository={data.repository} tag={t.name} digest={t.digest} onDeleted={() => afterDelete(t.name)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {/* a repository may hold thousands of tags: newest first, a page at a time (?page=) */}
          <Pagination page={data.page} pageSize={data.pageSize} total={data.total} hrefFor={(p) => (p > 1 ? `${repositoryHref(data.repository)}?page=${p}` : repositoryHref(data.repository))} />
        </div>
        </TagSelectionProvider>
      )}
      {untagged && <UntaggedImagesSection repository={data.repository} list={untagged} />}
      {/* owners of the organization (and administrators): the repository's retention policy */}
      {owner && (
        <div className="mt-6">
          <RetentionSection scope={{ repository: data.repository }} />
        </div>
      )}
    </div>
  )
}
