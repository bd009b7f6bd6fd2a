// POST /api/archives: several images in ONE `docker save` archive (export-archive.ts writes it). The
// request is read and checked whole before a byte goes out: every reference parsed, the caller allowed
// to read each repository, every image found and planned; only then is the archive streamed.
import { ApiError } from '../http/respond'
import type { Services } from '../services'
import { repositoryNameProblem, tagNameProblem } from './names'
import { REGISTRY_DIGEST } from '../oci/digest-algorithms'
import { INDEX_MEDIA_TYPES } from './index-manifest'
import { findTagManifest, planImageArchive, savedImagesEntries, archiveSize, type Entry, type ManifestWithBlobs, type SavedImage } from './export-archive'
import { parsePlatform, platformImage, platformsOf, matches, label, type Platform } from './export-index'

/** At most this many references in one request (duplicates count). */
export const MAX_ARCHIVE_IMAGES = 100

export type ArchiveItem = { reference: string; repository: string; tag: string | null; digest: string | null; platform: Platform | null }
export type ArchiveRequest = { items: ArchiveItem[]; gzip: boolean }

const SHAPE = '{ "images": ["repo:tag", "repo@sha256:…", { "image": "repo:tag", "platform": "linux/arm64" }], "compress": "gzip" | null }'

/** Parses and checks the request body (already JSON-decoded) and the ?compress= parameter; throws 400 naming the bad part. */
export function parseArchiveRequest(body: unknown, compressParam: string | null): ArchiveRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad(`the body must be JSON: ${SHAPE}`)
  const { images, compress } = body as Record<string, unknown>
  if (!Array.isArray(images) || images.length === 0) throw bad(`"images" must be a non-empty list: ${SHAPE}`)
  if (images.length > MAX_ARCHIVE_IMAGES) throw new ApiError(400, 'TOO_MANY_IMAGES', `${images.length} images asked for; one archive holds at most ${MAX_ARCHIVE_IMAGES}`)
  const wanted = compressParam ?? compress ?? null
  if (wanted !== null && wanted !== 'gzip' && wanted !== '' && wanted !== 'none') throw bad(`compress must be "gzip" or null, not ${JSON.stringify(wanted).slice(0, 40)}`)
  return { items: images.map((item, i) => parseItem(item, i)), gzip: wanted === 'gzip' }
}

function parseItem(item: unknown, i: number): ArchiveItem {
  const where = `images[${i}]`
  let reference: unknown = item
  let platform: unknown = null
  if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
    reference = (item as Record<string, unknown>).image
    platform = (item as Record<string, unknown>).platform ?? null
  }
  if (typeof reference !== 'string' || !reference.trim()) throw bad(`${where} must be "repo:tag", "repo@digest" or { "image": …, "platform": … }`)
  if (platform !== null && typeof platform !== 'string') throw bad(`${where}.platform must be a string such as "linux/arm64"`)
  const ref = reference.trim()
  const parsed = parseReference(ref, where)
  try {
    return { reference: ref, ...parsed, platform: platform === null ? null : parsePlatform(platform) }
  } catch (e) {
    if (e instanceof ApiError) throw bad(`${where} (${ref.slice(0, 200)}): ${e.message}`)
    throw e
  }
}

/** "repo:tag", "repo" (latest) or "repo@sha256:…", as this registry names its repositories. */
function parseReference(ref: string, where: string): { repository: string; tag: string | null; digest: string | null } {
  const shown = `${where} "${ref.slice(0, 200)}"`
  const at = ref.indexOf('@')
  if (at >= 0) {
    const repository = ref.slice(0, at)
    const digest = ref.slice(at + 1)
    if (!REGISTRY_DIGEST.test(digest)) throw bad(`${shown}: "${digest.slice(0, 80)}" is not a digest (sha256:<64 hex> or sha512:<128 hex>)`)
    const problem = repositoryNameProblem(repository)
    if (problem) throw bad(`${shown}: ${problem}`)
    return { repository, tag: null, digest }
  }
  const colon = ref.lastIndexOf(':')
  const hasTag = colon > ref.lastIndexOf('/')
  const repository = hasTag ? ref.slice(0, colon) : ref
  const tag = hasTag ? ref.slice(colon + 1) : 'latest'
  const problem = repositoryNameProblem(repository) ?? tagNameProblem(tag)
  if (problem) throw bad(`${shown}: ${problem}`)
  return { repository, tag, digest: null }
}

const bad = (message: string) => new ApiError(400, 'ARCHIVE_REQUEST_INVALID', message)

/** The archive ready to be sent: its entries, images, exact tar size and a file name (without .gz). */
export type ArchivePlan = { entries: Entry[]; images: SavedImage[]; size: number; filename: string }

/**
 * Finds and plans every image (the caller has already been allowed to read each repository): an
 * image named several times is saved once with all its names, a digest reference adds no name (as in
 * `docker save repo@digest`). 404/400/409 errors name the reference.
 */
export async function planArchives(services: Services, items: ArchiveItem[]): Promise<ArchivePlan> {
  const byManifest = new Map<string, SavedImage>() // a manifest row -> its image, planned once
  const byConfig = new Map<string, SavedImage>() // the image ID: two repositories may hold the same image
  for (const item of items) {
    const row = await imageOf(services, item)
    let image = byManifest.get(row.digest + ' ' + row.repositoryId)
    if (!image) {
      const plan = await planImageArchive(services, item.repository, item.tag ?? item.digest ?? '', row)
      image = byConfig.get(plan.config.digest) ?? { plan, names: [] }
      byConfig.set(plan.config.digest, image)
      byManifest.set(row.digest + ' ' + row.repositoryId, image)
    }
    if (item.tag && !image.names.some((n) => n.repository === item.repository && n.tag === item.tag)) image.names.push({ repository: item.repository, tag: item.tag })
  }
  const images = [...byConfig.values()]
  const entries = savedImagesEntries(services, images)
  const first = images[0].names[0]
  const filename = images.length === 1 && first ? `${first.repository.replaceAll('/', '_')}_${first.tag}.tar` : `images-${images.length}.tar`
  return { entries, images, size: archiveSize(entries), filename }
}

/** The single-platform image an item names (the platform's image of a multi-platform tag). */
async function imageOf(services: Services, item: ArchiveItem): Promise<ManifestWithBlobs> {
  const m = item.tag !== null ? await findTagManifest(services, item.repository, item.tag) : await findDigestManifest(services, item.repository, item.digest!)
  if (INDEX_MEDIA_TYPES.has(m.mediaType)) {
    if (!item.platform) {
      const platforms = await platformsOf(services, m)
      throw new ApiError(400, 'PLATFORM_REQUIRED', `${item.reference} is a multi-platform image (${platforms.join(', ')}); give { "image": "${item.reference}", "platform": "${platforms[0] ?? 'linux/amd64'}" }`, {
        image: item.reference,
        platforms,
      })
    }
    return platformImage(services, item.reference, m, item.platform)
  }
  if (item.platform && !matches({ os: m.os, architecture: m.architecture, variant: m.variant }, item.platform)) {
    throw new ApiError(404, 'PLATFORM_NOT_FOUND', `${item.reference} is a single ${label(m)} image; it has no ${label(item.platform)} platform`)
  }
  return m
}

async function findDigestManifest(services: Services, repository: string, digest: string): Promise<ManifestWithBlobs> {
  const row = await services.db.manifest.findFirst({ where: { digest, repository: { name: repository } }, include: { blobs: { orderBy: { position: 'asc' }, include: { blob: true } } } })
  if (!row) throw new ApiError(404, 'MANIFEST_NOT_FOUND', `${repository}@${digest} does not exist`)
  return row
}
