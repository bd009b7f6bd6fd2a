// A dry-run upload (POST /api/uploads?dryRun=true): the archive is read, streaming, exactly as a real
// upload reads it (same reader, same checks, same naming), but layer bytes are hashed and dropped:
// nothing goes to the object store and nothing to the database. The answer says what a real upload
// would do to each tag, and which images need a name. API users get the same preview as the browser.
import { Transform, type Readable } from 'node:stream'
import type { Services } from '../services'
import type { BlobStore } from '../storage/blob-store'
import { ImportError } from './import-error'
import { ArchiveMessage } from './archive-messages'
import { peekStream } from './stream-head'
import { detectCompression, decompressorFor, type Compression } from './compression'
import { readArchive } from './archive-reader'
import { stageBlob } from './staged-blob'
import { planImages, planMultiPlatformIndex, type ImagePlan, type IndexPlan } from './image-layout'
import { ArchiveBudget, InflateGuard } from './inflate-guard'
import { checkManifestBounds, checkPlanBounds } from './archive-bounds'
import { storedIndexManifests } from '../registry/index-manifest'
import { nameImages, type ImportRequest } from './import-archive'
import { buildImageManifest } from '../registry/image-manifest'
import type { ImageName } from '../registry/names'
import type { TagStatus } from '../registry/set-tag'
import type { Limits } from '../config'

export type DryRunRequest = Pick<ImportRequest, 'body' | 'repository' | 'tag' | 'organization' | 'authorizeNames'>

export type DryRunImage = {
  names: ImageName[]
  manifestDigest: string
  configDigest: string
  layers: number
  uncompressedSize: number
  platform: string | null
}

export type DryRunTag = { repository: string; tag: string; status: TagStatus; currentDigest: string | null; newDigest: string }

export type DryRunResult = {
  dryRun: true
  receivedBytes: number
  compression: Compression
  images: DryRunImage[]
  /** what a real upload would do to each tag */
  tags: DryRunTag[]
  /** images without a repository:tag; a real upload needs ?repository=&tag= for them */
  needsName: { image: number; configDigest: string; suggestedTag: string | null }[]
  /** a multi-platform archive: its names point to this index (images are its platform images) */
  index?: { names: ImageName[]; digest: string; platforms: (string | null)[] }
}

/** Layer bodies are hashed by stageBlob (same checks, same gzip handling) and discarded here. */
const discardingStore: Pick<BlobStore, 'write'> = {
  async write(_key, body) {
    if (Buffer.isBuffer(body)) return
    for await (const _chunk of body) {
      // dropped: a dry run keeps only what the layer's digest and size need
    }
  },
}

export type ArchivePlan = { kind: 'images'; plans: ImagePlan[] } | { kind: 'index'; plan: IndexPlan }

/** Reads the archive with the real reader, bounds and layout rules (as runImport does), storing nothing. */
export async function readArchiveMetadata(
  body: Readable,
  limits: Limits,
): Promise<{ plan: ArchivePlan; plans: ImagePlan[]; compression: Compression; receivedBytes: () => number }> {
  let receivedBytes = 0
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      receivedBytes += chunk.length
      cb(null, chunk)
    },
  })
  body.on('error', (e) => counter.destroy(e))
  const { head, stream } = await peekStream(body.pipe(counter), 512)
  if (head.length === 0) throw new ImportError('EMPTY_UPLOAD', ArchiveMessage.empty, 400)
  const compression = detectCompression(head)
  if (compression === 'zip') throw new ImportError('NOT_A_TAR', ArchiveMessage.zip, 415)
  const decompress = decompressorFor(compression)
  if (compression !== 'none' && !decompress) throw new ImportError('UNSUPPORTED_COMPRESSION', ArchiveMessage.unsupportedCompression(compression), 415)
  const budget = new ArchiveBudget(limits.maxArchiveBytes)
  const guard = new InflateGuard({ what: 'the archive', compressedBytes: decompress ? () => receivedBytes : null, budget, limits })
  const tarStream = (decompress ? stream.pipe(decompress) : stream).pipe(guard)
  if (decompress) stream.on('error', (e) => decompress.destroy(e))
  ;(decompress ?? stream).on('error', (e) => guard.destroy(e))
  let n = 0
  const contents = await readArchive(tarStream, limits, (entry, entryName) =>
    stageBlob(discardingStore as BlobStore, `dry-run/${n++}`, entry, { maxLayerBytes: limits.maxLayerBytes, entryName, inflate: { budget, limits } }),
  )
  checkManifestBounds(contents, limits)
  const indexPlan = planMultiPlatformIndex(contents, limits)
  if (indexPlan) {
    checkPlanBounds(indexPlan.children.map((c) => ({ refs: indexPlan.refs, layers: c.image.layers })), limits)
    return { plan: { kind: 'index', plan: indexPlan }, plans: indexPlan.children.map((c) => c.image), compression, receivedBytes: () => receivedBytes }
  }
  const plans = planImages(contents, limits)
  checkPlanBounds(plans, limits)
  return { plan: { kind: 'images', plans }, plans, compression, receivedBytes: () => receivedBytes }
}

/** The manifest an imported image gets (import-archive prepareImage), without storing anything. */
function manifestOf(plan: ImagePlan) {
  return buildImageManifest({ digest: plan.config.digest, size: plan.config.bytes.length }, plan.layers.map((l) => ({ digest: l.diffId, size: l.size })))
}

function imageOf(plan: ImagePlan, names: ImageName[], manifestDigest = manifestOf(plan).digest): DryRunImage {
  return {
    names,
    manifestDigest,
    configDigest: plan.config.digest,
    layers: plan.layers.length,
    uncompressedSize: plan.layers.reduce((s, l) => s + l.size, 0),
    platform: [plan.platform.os, plan.platform.architecture, plan.platform.variant].filter(Boolean).join('/') || null,
  }
}

export async function dryRunUpload(services: Services, req: DryRunRequest): Promise<DryRunResult> {
  const { plan, compression, receivedBytes } = await readArchiveMetadata(req.body, services.limits)
  const named = !!(req.repository?.trim() || req.tag?.trim())
  let images: DryRunImage[]
  let targets: { names: ImageName[]; digest: string }[]
  let needsName: DryRunResult['needsName'] = []
  let index: DryRunResult['index']
  if (plan.kind === 'index') {
    // One tag for all platforms, pointing to the index the import records (import-archive importIndex).
    const p = plan.plan
    const prepared = p.children.map((c) => ({ names: [], manifest: manifestOf(c.image), config: { digest: c.image.config.digest, size: c.image.config.bytes.length, key: '' }, layers: [], platform: c.image.platform, packedSize: 0 }))
    const stored = storedIndexManifests(p, prepared)
    const unnamed = !named && !p.refs.length
    if (unnamed) needsName = [{ image: 1, configDigest: p.index.digest, suggestedTag: p.tagHint }]
    const names = unnamed ? [] : nameImages([{ refs: p.refs, tagHint: p.tagHint, config: { digest: p.index.digest } }], req)[0]
    images = p.children.map((c, i) => imageOf(c.image, [], stored.children[i].manifest.digest))
    index = { names, digest: stored.index.digest, platforms: images.map((i) => i.platform) }
    targets = [{ names, digest: stored.index.digest }]
  } else {
    const plans = plan.plans
    // Without a name from the caller, unnamed images are reported instead of refusing the whole archive.
    needsName = named ? [] : plans.flatMap((p, i) => (p.refs.length ? [] : [{ image: i + 1, configDigest: p.config.digest, suggestedTag: p.tagHint }]))
    const namedPlans = named ? plans : plans.filter((p) => p.refs.length)
    const names = nameImages(namedPlans, req)
    images = plans.map((p) => imageOf(p, names[namedPlans.indexOf(p)] ?? []))
    targets = images.map((img) => ({ names: img.names, digest: img.manifestDigest }))
  }

  // the same per-name decision as a real upload (which would create a missing organization for an administrator)
  await req.authorizeNames?.(targets.flatMap((t) => t.names))
  const current = await currentDigests(services, targets.flatMap((t) => t.names))
  const tags: DryRunTag[] = targets.flatMap((t) =>
    t.names.map((n) => {
      const currentDigest = current.get(`${n.repository}:${n.tag}`) ?? null
      const status: TagStatus = currentDigest === null ? 'created' : currentDigest === t.digest ? 'unchanged' : 'updated'
      return { repository: n.repository, tag: n.tag, status, currentDigest, newDigest: t.digest }
    }),
  )
  return { dryRun: true, receivedBytes: receivedBytes(), compression, images, tags, needsName, ...(index ? { index } : {}) }
}

/** Current manifest digest of each existing tag among `names`: one query per repository and 500 tags. */
async function currentDigests(services: Services, names: ImageName[]): Promise<Map<string, string>> {
  const byRepository = new Map<string, string[]>()
  for (const n of names) {
    const tags = byRepository.get(n.repository)
    if (tags) tags.push(n.tag)
    else byRepository.set(n.repository, [n.tag])
  }
  const out = new Map<string, string>()
  for (const [repository, tags] of byRepository) {
    for (let i = 0; i < tags.length; i += 500) {
      const rows = await services.db.tag.findMany({
        where: { repository: { name: repository }, name: { in: tags.slice(i, i + 500) } },
        select: { name: true, manifest: { select: { digest: true } } },
      })
      for (const r of rows) out.set(`${repository}:${r.name}`, r.manifest.digest)
    }
  }
  return out
}
