// Which image an archive download of a tag holds: the tag's image; for a multi-platform tag the image of
// ?platform=os/arch[/variant], or without it every platform, laid out as Docker 25 saves a
// multi-platform image (OCI layout whose index.json names the image index, plus manifest.json).
// Platform manifests are written byte-exact when their layers are stored uncompressed (imports); a
// pushed one with gzip layers is rewritten with the uncompressed layers docker load wants, and then the
// index is rebuilt to name it (a new digest).
import type { Services } from '../services'
import { ApiError } from '../http/respond'
import { MediaType } from './media-types'
import { buildImageManifest } from './image-manifest'
import { indexChildren, type ChildDescriptor } from './queries'
import { INDEX_MEDIA_TYPES, rebuildIndex } from './index-manifest'
import {
  findTagManifest,
  findManifestRows,
  planImageArchive,
  entriesOf,
  imageBlobEntries,
  smallEntry,
  blobPath,
  type Entry,
  type ExportPlan,
  type ManifestWithBlobs,
} from './export-archive'

export type Platform = { os: string | null; architecture: string | null; variant: string | null }
const PLATFORM = /^([a-z0-9._-]+)\/([a-z0-9._-]+)(?:\/([a-z0-9._-]+))?$/i

export const label = (p: Platform | null) => (p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : '') || 'unknown'

/** The entries of the download and a file-name suffix naming the platform. */
export async function planTagArchive(services: Services, repository: string, tag: string, platform: string | null): Promise<{ entries: Entry[]; suffix: string }> {
  const wanted = platform === null ? null : parsePlatform(platform)
  const m = await findTagManifest(services, repository, tag)
  const suffix = wanted ? `_${label(wanted).replaceAll('/', '-')}` : ''
  if (!INDEX_MEDIA_TYPES.has(m.mediaType)) {
    if (wanted && !matches({ os: m.os, architecture: m.architecture, variant: m.variant }, wanted)) {
      throw new ApiError(404, 'PLATFORM_NOT_FOUND', `${repository}:${tag} is a single ${label(m)} image; it has no ${label(wanted)} platform`)
    }
    return { entries: entriesOf(services, await planImageArchive(services, repository, tag, m)), suffix }
  }
  if (wanted) return { entries: entriesOf(services, await planImageArchive(services, repository, tag, await platformImage(services, `${repository}:${tag}`, m, wanted))), suffix }
  const children = indexChildren(m.content)
  const rows = await findManifestRows(services, m.repositoryId, children.map((c) => c.digest))
  const platformOf = (c: ChildDescriptor): Platform => c.platform ?? rows.get(c.digest) ?? { os: null, architecture: null, variant: null }
  const plans: { child: ChildDescriptor; row: ManifestWithBlobs; plan: ExportPlan }[] = []
  for (const child of children) {
    const row = rows.get(child.digest)
    if (!row) throw new ApiError(409, 'NOT_EXPORTABLE', `platform ${label(platformOf(child))} (${child.digest}) of ${repository}:${tag} is not stored in this registry`)
    plans.push({ child, row, plan: await planImageArchive(services, repository, tag, row) })
  }
  return { entries: multiPlatformEntries(services, repository, tag, m, plans), suffix }
}

/** The platforms a multi-platform index offers, as os/arch[/variant]. */
export async function platformsOf(services: Services, index: ManifestWithBlobs): Promise<string[]> {
  const children = indexChildren(index.content)
  const rows = await findManifestRows(services, index.repositoryId, children.map((c) => c.digest))
  return children.map((c) => label(c.platform ?? rows.get(c.digest) ?? null))
}

/** The one image of a multi-platform index (`what` names it in errors) for the wanted platform, or a 404/409 saying why not. */
export async function platformImage(services: Services, what: string, index: ManifestWithBlobs, wanted: Platform): Promise<ManifestWithBlobs> {
  const children = indexChildren(index.content)
  const rows = await findManifestRows(services, index.repositoryId, children.map((c) => c.digest))
  const platformOf = (c: ChildDescriptor): Platform => c.platform ?? rows.get(c.digest) ?? { os: null, architecture: null, variant: null }
  const found = children.filter((c) => matches(platformOf(c), wanted))
  const available = children.map((c) => label(platformOf(c))).join(', ')
  if (!found.length) throw new ApiError(404, 'PLATFORM_NOT_FOUND', `${what} has no ${label(wanted)} image; its platforms are ${available}`)
  if (found.length > 1) {
    throw new ApiError(409, 'PLATFORM_AMBIGUOUS', `${label(wanted)} matches ${found.map((c) => label(platformOf(c))).join(', ')} of ${what}; add the variant`)
  }
  const row = rows.get(found[0].digest)
  if (!row) throw new ApiError(409, 'NOT_EXPORTABLE', `the ${label(wanted)} image ${found[0].digest} of ${what} is not stored in this registry`)
  return row
}

export function parsePlatform(value: string): Platform {
  const p = PLATFORM.exec(value)
  if (!p) throw new ApiError(400, 'PLATFORM_INVALID', `platform "${value.slice(0, 60)}" is not os/architecture or os/architecture/variant, e.g. linux/arm64`)
  return { os: p[1].toLowerCase(), architecture: p[2].toLowerCase(), variant: p[3]?.toLowerCase() ?? null }
}

/** os and architecture must agree; the variant only when the caller names one. */
export function matches(p: Platform, wanted: Platform) {
  return p.os === wanted.os && p.architecture === wanted.architecture && (wanted.variant === null || p.variant === wanted.variant)
}

function multiPlatformEntries(
  services: Services,
  repository: string,
  tag: string,
  index: ManifestWithBlobs,
  plans: { child: ChildDescriptor; row: ManifestWithBlobs; plan: ExportPlan }[],
): Entry[] {
  const json = (name: string, value: unknown) => smallEntry(name, Buffer.from(JSON.stringify(value)))
  const reference = `${repository}:${tag}`
  const entries: Entry[] = [{ name: 'blobs/', directory: true }, { name: 'blobs/sha256/', directory: true }]
  const written = new Set<string>()
  const manifests = plans.map(({ row, plan }) => {
    entries.push(...imageBlobEntries(services, plan, written))
    // stored with uncompressed layers: its bytes describe exactly what the archive holds
    if (!plan.layers.some((l) => l.gzip)) return { mediaType: row.mediaType, bytes: Buffer.from(row.content), digest: row.digest }
    const built = buildImageManifest({ digest: plan.config.digest, size: plan.config.bytes.length }, plan.layers.map((l) => ({ digest: l.diffId, size: l.size })))
    return { mediaType: MediaType.ociManifest as string, ...built }
  })
  for (const m of manifests) {
    if (written.has(m.digest)) continue
    written.add(m.digest)
    entries.push(smallEntry(blobPath(m.digest), m.bytes))
  }
  const keptAll = manifests.every((m, i) => m.digest === plans[i].row.digest)
  const indexDoc = keptAll
    ? { bytes: Buffer.from(index.content), digest: index.digest, mediaType: index.mediaType }
    : rebuildIndex(JSON.parse(Buffer.from(index.content).toString('utf8')), manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length })))
  entries.push(
    smallEntry(blobPath(indexDoc.digest), indexDoc.bytes),
    json('index.json', {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        {
          mediaType: indexDoc.mediaType,
          digest: indexDoc.digest,
          size: indexDoc.bytes.length,
          annotations: { 'io.containerd.image.name': reference, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
    // for `docker load` without the containerd store: one entry per platform, the tag on the first
    json(
      'manifest.json',
      plans.map(({ plan }, i) => ({ Config: blobPath(plan.config.digest), RepoTags: i === 0 ? [reference] : [], Layers: plan.layers.map((l) => blobPath(l.diffId)) })),
    ),
    json('oci-layout', { imageLayoutVersion: '1.0.0' }),
  )
  return entries
}
