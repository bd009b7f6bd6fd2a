'use client'
// A multi-platform tag (OCI image index / Docker manifest list): its platforms, each platform image with
// its own sizes and a link to it, the total sizes (a layer shared by platforms counted once).
import Link from 'next/link'
import type { ReactNode } from 'react'
import type { IndexDetail } from '../api-client'
import { digestHref } from '../routes'
import { DeleteTagButton } from '../delete-tag-button'
import { Bytes, MeasuredBytes } from '../sizes'
import { SizeCards } from './size-cards'
import { PullCommands } from './pull-commands'
import { TagHistory } from './tag-history'
import { ArchiveDownload } from './index-download'
import { Section, TagHeader } from './page-parts'
import { shortDigest } from '@/lib/format'

type PlatformEntry = IndexDetail['platforms'][number]

export const platformLabel = (p: PlatformEntry['platform']) => [p.os, p.architecture, p.variant].filter(Boolean).join('/') || 'unknown'

export function PlatformTable({ repository, platforms }: { repository: string; platforms: PlatformEntry[] }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" data-testid="platform-table">
        <thead className="bg-slate-50 text-left text-xs font-medium text-slate-600">
          <tr>
            <th className="px-5 py-2">Platform</th>
            <th className="px-3 py-2">Image</th>
            <th className="hidden sm:table-cell px-3 py-2 text-right">Layers</th>
            <th className="hidden sm:table-cell px-3 py-2 text-right">Packed</th>
            <th className="hidden sm:table-cell px-3 py-2 text-right">Uncompressed</th>
            <th className="hidden sm:table-cell px-5 py-2 text-right">Compressed</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {platforms.map((p) => (
            <tr key={p.digest} data-testid="platform-row" data-platform={platformLabel(p.platform)}>
              <td className="px-5 py-2.5">
                <span className="font-medium text-slate-900">{platformLabel(p.platform)}</span>
                {/* phones: the sizes under the platform instead of in columns */}
                {p.sizes && (
                  <span className="mt-0.5 block text-xs text-slate-600 sm:hidden">
                    {p.layerCount} {p.layerCount === 1 ? 'layer' : 'layers'} · <MeasuredBytes value={p.sizes.uncompressed} state={p.sizes.compressedState} /> uncompressed ·{' '}
                    <MeasuredBytes value={p.sizes.compressed} state={p.sizes.compressedState} /> compressed
                  </span>
                )}
              </td>
              <td className="px-3 py-2.5">
                {p.available ? (
                  <Link href={digestHref(repository, p.digest)} className="font-mono text-xs text-indigo-700 hover:underline" title={p.digest}>
                    {shortDigest(p.digest)}
                  </Link>
                ) : (
                  <span className="font-mono text-xs text-slate-600" title={`${p.digest} is not stored in this repository`}>
                    {shortDigest(p.digest)} (not stored)
                  </span>
                )}
              </td>
              <td className="hidden sm:table-cell px-3 py-2.5 text-right tabular-nums">{p.available ? p.layerCount : '—'}</td>
              <td className="hidden sm:table-cell px-3 py-2.5 text-right" data-testid="platform-packed">
                <Bytes value={p.sizes?.packed} />
              </td>
              <td className="hidden sm:table-cell px-3 py-2.5 text-right" data-testid="platform-uncompressed">
                <MeasuredBytes value={p.sizes?.uncompressed} state={p.sizes?.compressedState ?? 'done'} />
              </td>
              <td className="hidden sm:table-cell px-5 py-2.5 text-right" data-testid="platform-compressed">
                <MeasuredBytes value={p.sizes?.compressed} state={p.sizes?.compressedState ?? 'done'} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function IndexView({ data, crumbs, onDeleted, deleteImage }: { data: IndexDetail; crumbs: ReactNode; onDeleted: () => void; deleteImage?: ReactNode }) {
  const downloadable = [...new Set(data.platforms.filter((p) => p.available && p.platform.os && p.platform.architecture).map((p) => platformLabel(p.platform)))]
  return (
    <div className="space-y-6">
      <TagHeader
        crumbs={crumbs}
        data={data}
        facts={
          <>
            <span className="rounded-md bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700" data-testid="index-badge">
              multi-platform · {data.platforms.length} {data.platforms.length === 1 ? 'platform' : 'platforms'}
            </span>
            <span>
              {data.layerCount} {data.layerCount === 1 ? 'layer' : 'layers'} in all
            </span>
          </>
        }
        actions={
          <div className="flex max-w-full flex-wrap items-start gap-2">
            <ArchiveDownload repository={data.repository} tag={data.tag} platforms={downloadable} />
            <DeleteTagButton variant="button" repository={data.repository} tag={data.tag} digest={data.digest} onDeleted={onDeleted} />
            {deleteImage}
          </div>
        }
      />

      <SizeCards sizes={data.sizes} />
      <p className="-mt-3 text-xs text-slate-500">Totals of all platforms; a layer that several platforms share is counted once.</p>

      <Section id="platforms-title" title={`Platforms (${data.platforms.length})`} subtitle="Each platform is an image of its own; a pull picks the one matching the machine." flush>
        <PlatformTable repository={data.repository} platforms={data.platforms} />
      </Section>

      <Section id="pull-title" title="Pull this image">
        <PullCommands repository={data.repository} tag={data.tag} digest={data.digest} />
      </Section>

      <Section id="tag-history-title" title="Tag history" subtitle={`Images ${data.tag} pointed to, newest first.`} flush>
        <TagHistory repository={data.repository} tag={data.tag} entries={data.tagHistory} current={data.digest} />
      </Section>
    </div>
  )
}
