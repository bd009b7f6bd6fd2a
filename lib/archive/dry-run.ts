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
import { planImages, type ImagePlan } from './image-layout'
import { nameImages } from './import-archive'
import { buildImageManifest } from '../registry/image-manifest'
import type { ImageName } from '../registry/names'
import type { TagStatus } from '../registry/set-tag'
import type { Limits } from '../config'

export type DryRunRequest = { body: Readable; repository?: string | null; tag?: string | null }

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

/** Reads the archive into image plans with the real reader and layout rules, storing nothing. */
export async function readArchiveMetadata(body: Readable, limits: Limits): Promise<{ plans: ImagePlan[]; compression: Compression; receivedBytes: () => number }> {
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
  if (decompress) stream.on('error', (e) => decompress.destroy(e))
  const tarStream = decompress ? stream.pipe(decompress) : stream
  let n = 0
  const contents = await readArchive(tarStream, limits, (entry, entryName) =>
    stageBlob(discardingStore as BlobStore, `dry-run/${n++}`, entry, { maxLayerBytes: limits.maxLayerBytes, entryName }),
  )
  return { plans: planImages(contents, limits), compression, receivedBytes: () => receivedBytes }
}

export async function dryRunUpload(services: Services, req: DryRunRequest): Promise<DryRunResult> {
  const { plans, compression, receivedBytes } = await readArchiveMetadata(req.body, services.limits)
  const named = !!(req.repository?.trim() || req.tag?.trim())
  // Without a name from the caller, unnamed images are reported instead of refusing the whole archive.
  const needsName = named ? [] : plans.flatMap((p, i) => (p.refs.length ? [] : [{ image: i + 1, configDigest: p.config.digest, suggestedTag: p.tagHint }]))
  const namedPlans = named ? plans : plans.filter((p) => p.refs.length)
  const names = nameImages(namedPlans, req)

  const images: DryRunImage[] = plans.map((plan) => {
    const manifest = buildImageManifest(
      { digest: plan.config.digest, size: plan.config.bytes.length },
      plan.layers.map((l) => ({ digest: l.diffId, size: l.size })),
    )
    const i = namedPlans.indexOf(plan)
    return {
      names: i === -1 ? [] : names[i],
      manifestDigest: manifest.digest,
      configDigest: plan.config.digest,
      layers: plan.layers.length,
      uncompressedSize: plan.layers.reduce((s, l) => s + l.size, 0),
      platform: [plan.platform.os, plan.platform.architecture, plan.platform.variant].filter(Boolean).join('/') || null,
    }
  })

  const current = await currentDigests(services, images.flatMap((img) => img.names))
  const tags: DryRunTag[] = images.flatMap((img) =>
    img.names.map((n) => {
      const currentDigest = current.get(`${n.repository}:${n.tag}`) ?? null
      const status: TagStatus = currentDigest === null ? 'created' : currentDigest === img.manifestDigest ? 'unchanged' : 'updated'
      return { repository: n.repository, tag: n.tag, status, currentDigest, newDigest: img.manifestDigest }
    }),
  )
  return { dryRun: true, receivedBytes: receivedBytes(), compression, images, tags, needsName }
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
