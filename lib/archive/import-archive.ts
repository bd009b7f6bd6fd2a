// One archive upload, end to end: receive and stage as the bytes arrive, verify, name, commit
// atomically, then clean up. On any failure every staged object is deleted and nothing is visible.
import { randomUUID } from 'node:crypto'
import { Transform, type Readable } from 'node:stream'
import type { Services } from '../services'
import { ImportError, isImportError } from './import-error'
import { peekStream } from './stream-head'
import { detectCompression, decompressorFor } from './compression'
import { ArchiveMessage } from './archive-messages'
import { readArchive, tarEntryBytes, type ArchiveContents, type ReaderState } from './archive-reader'
import { TarBoundaries } from '../resumable/tar-boundaries'
import { continueLayer, LayerTail } from '../resumable/layer-resume'
import type { LayerCheckpoint } from '../resumable/checkpoint'
import { stageBlob } from './staged-blob'
import { ArchiveBudget, InflateGuard } from './inflate-guard'
import { planImages, planMultiPlatformIndex, type ImagePlan, type IndexPlan } from './image-layout'
import { checkManifestBounds, checkPlanBounds } from './archive-bounds'
import { parseImageReference, NameError, repositoryNameProblem, tagNameProblem, type ImageName } from '../registry/names'
import { buildImageManifest } from '../registry/image-manifest'
import { commitImport, type CommitImage, type TagResult } from '../registry/commit-import'
import { registerStaged, discardStaged, discardAllStagedOf } from '../registry/staging'
import { commitIndexImport } from '../registry/commit-index'
import { storedIndexManifests } from '../registry/index-manifest'
import { isStoreUnavailable } from '../storage/store-errors'
import { isDatabaseUnavailable, DATABASE_UNAVAILABLE_MESSAGE } from '../db/db-errors'
import { placeInOrganization } from '../auth/account-names'
import { isQuotaExceeded, type QuotaExceeded } from '../accounts/quotas'
import { measureLater } from '../analysis/blob-analysis'
import { inForeground } from '../jobs/foreground'
import { holdUploadLease, leaseFrom, leaseLostError } from '../lifecycle/upload-lease'
import { recordedMultipart } from '../lifecycle/multipart-records'

export type ImportRequest = {
  body: Readable
  filename?: string | null
  /** names an untagged image, or retags a single-image archive */
  repository?: string | null
  tag?: string | null
  /** places every name under this organization (lib/auth/account-names.ts placeInOrganization) */
  organization?: string | null
  /**
   * Called once the names are known, before anything is committed: throws to refuse the upload (the
   * caller may not push to one of them); what was staged is then removed like for any rejection.
   */
  authorizeNames?: (names: ImageName[]) => Promise<void>
  signal?: AbortSignal
} & ImportHooks

/** What a resumable upload (lib/resumable) adds to an import. */
export type ImportHooks = {
  /** the Upload row's id, chosen by the caller (a resumable upload links its session to it) */
  uploadId?: string
  /** the Upload row's lease length; a resumable upload's outlives its instance until the client comes back */
  leaseMs?: number
  /**
   * continue from a checkpoint: the body starts at this archive offset, these entries read; at a tar
   * header, or inside `layer`, whose bytes before the offset are stored parts of its multipart upload
   */
  resume?: { offset: number; reader: ReaderState; layer?: LayerCheckpoint }
  /** called at each tar entry boundary of an uncompressed archive */
  onCheckpoint?: (offset: number, reader: ReaderState) => void
  /** called inside an uncompressed layer of an uncompressed archive, each time more of it is stored */
  onLayerCheckpoint?: (offset: number, reader: ReaderState, layer: LayerCheckpoint) => void
  /** true for an abort that must keep the staged objects and the Upload row (the server stops; a successor resumes) */
  keepOnAbort?: (reason: unknown) => boolean
}

export type ImportedImage = {
  names: ImageName[]
  manifestDigest: string
  configDigest: string
  layers: number
  uncompressedSize: number
  packedSize: number
  platform: string | null
}

/** A multi-platform archive: the one image index its tags point to (its images are listed in `images`). */
export type ImportedIndex = {
  names: ImageName[]
  digest: string
  /** the index's digest inside the archive; differs from `digest` when the index had to be rebuilt */
  archiveDigest: string
  platforms: (string | null)[]
}

export type ImportResult = {
  uploadId: string
  receivedBytes: number
  compression: string
  images: ImportedImage[]
  tags: TagResult[]
  index?: ImportedIndex
}

/** Layer writes whose completion may still be running while the next entry is read. */
const MAX_PENDING_WRITES = 2

export async function importArchive(services: Services, req: ImportRequest): Promise<ImportResult> {
  // foreground work: background measurements hold back while it runs (lib/jobs/foreground.ts)
  return inForeground(services.foreground, () => importInForeground(services, req))
}

async function importInForeground(services: Services, req: ImportRequest): Promise<ImportResult> {
  const uploadId = req.uploadId ?? randomUUID()
  const leaseUntil = leaseFrom(services, Date.now(), req.leaseMs)
  if (req.resume) await resumeUploadRow(services, uploadId, req.filename ?? null, leaseUntil)
  else await services.db.upload.create({ data: { id: uploadId, state: 'receiving', filename: req.filename ?? null, leaseUntil } })
  const counter = new ByteCounter()
  const pendingWrites: Promise<void>[] = []
  // another instance may collect an upload whose lease ran out: renew it while this one works on it
  const lease = holdUploadLease(services, uploadId, (lost) => req.body.destroy(lost), req.leaseMs)
  if (req.resume) counter.bytes = req.resume.offset
  try {
    const result = await runImport(services, uploadId, req, counter, pendingWrites)
    lease.stop()
    await services.db.upload.update({
      where: { id: uploadId },
      data: { state: 'committed', receivedBytes: BigInt(counter.bytes), finishedAt: new Date(), result: JSON.stringify(result) },
    })
    return result
  } catch (e) {
    lease.stop()
    const error = lease.lost ?? toImportError(e, req.signal)
    req.body.destroy()
    // Let writes in flight settle first, or an object could land after its deletion.
    await Promise.allSettled(pendingWrites)
    if (!lease.lost && keptForSuccessor(req)) throw error // kept for a successor
    // the sweeper retries whatever remains; after a store failure it deletes the keys once more (late writes)
    await discardAllStagedOf(services, uploadId, { keepRows: error.code === 'STORAGE_UNAVAILABLE' }).catch(() => {})
    await services.db.upload
      .update({
        where: { id: uploadId },
        data: { state: 'failed', receivedBytes: BigInt(counter.bytes), errorCode: error.code, errorMessage: error.message, finishedAt: new Date() },
      })
      .catch(() => {})
    throw error
  }
}

async function runImport(
  services: Services,
  uploadId: string,
  req: ImportRequest,
  counter: ByteCounter,
  pendingWrites: Promise<void>[],
): Promise<ImportResult> {
  const { limits } = services
  req.body.on('error', (e) => counter.destroy(e))
  // resumed inside a layer: that layer is finished first, the tar parser starts at the next header
  const { input, resume } = req.resume?.layer ? await finishResumedLayer(services, req, counter) : { input: req.body.pipe(counter), resume: req.resume }
  const { head, stream } = await peekStream(input, 512)
  if (head.length === 0 && !resume) throw new ImportError('EMPTY_UPLOAD', ArchiveMessage.empty, 400)
  const compression = detectCompression(head)
  if (compression === 'zip') {
    throw new ImportError('NOT_A_TAR', ArchiveMessage.zip, 415)
  }
  const decompress = decompressorFor(compression)
  if (compression !== 'none' && !decompress) {
    throw new ImportError('UNSUPPORTED_COMPRESSION', ArchiveMessage.unsupportedCompression(compression), 415)
  }
  // The tar stream (inflated, for a .tar.gz) counts against the archive's budget; inflating it, against the ratio.
  const budget = new ArchiveBudget(limits.maxArchiveBytes)
  budget.used = resume?.offset ?? 0 // a resumed import's tar bytes before its offset count too
  const guard = new InflateGuard({ what: 'the archive', compressedBytes: decompress ? () => counter.bytes : null, budget, limits })
  // a plain tar can be checkpointed at its entry boundaries (a resumable upload continues from one)
  const boundaries = req.onCheckpoint && !decompress ? new TarBoundaries(resume?.offset ?? 0) : null
  const inner = decompress ?? boundaries
  const tarStream = (inner ? stream.pipe(inner) : stream).pipe(guard)
  if (inner) stream.on('error', (e) => inner.destroy(e))
  ;(inner ?? stream).on('error', (e) => guard.destroy(e))
  const seeded = resume?.reader.count ?? 0
  const onEntry = boundaries
    ? (state: ReaderState) => {
        const end = boundaries.ends[state.count - seeded - 1]
        if (end !== undefined) req.onCheckpoint!(end, state)
      }
    : undefined

  const contents = await readArchive(tarStream, limits, async (body, entryName, at) => {
    // Overlap finishing one layer's upload with receiving the next one, a bounded number at a time.
    while (pendingWrites.length >= MAX_PENDING_WRITES) await pendingWrites.shift()
    const key = await registerStaged(services, uploadId)
    const dataStart = boundaries?.starts[at.before.count - seeded]
    const onLayer = req.onLayerCheckpoint
    const staged = await stageBlob(services.store, key, body, {
      maxLayerBytes: limits.maxLayerBytes,
      entryName,
      signal: req.signal,
      inflate: { budget, limits },
      multipart: recordedMultipart(services, key, uploadId),
      resumable:
        onLayer && dataStart !== undefined
          ? {
              keepParts: () => keptForSuccessor(req),
              onStored: (bytes, stored) => {
                if (bytes > 0 && bytes < at.size) onLayer(dataStart + bytes, at.before, { path: entryName, key, size: at.size, dataStart, bytes, ...stored })
              },
            }
          : undefined,
    })
    pendingWrites.push(staged.written)
    return staged
  }, { seed: resume?.reader, onEntry })
  await Promise.all(pendingWrites) // kept in the list until all settled: the failure path waits for them too
  pendingWrites.length = 0
  checkManifestBounds(contents, limits) // before planning: a manifest.json can ask for 100,000 names
  const indexPlan = planMultiPlatformIndex(contents, limits)
  if (indexPlan) {
    // every platform image carries the index's names
    checkPlanBounds(indexPlan.children.map((c) => ({ refs: indexPlan.refs, layers: c.image.layers })), limits)
    return importIndex(services, uploadId, req, indexPlan, counter.bytes, compression)
  }
  const plans = planImages(contents, limits)
  checkPlanBounds(plans, limits)
  const names = nameImages(plans, req)
  await req.authorizeNames?.(names.flat())

  const images: CommitImage[] = []
  const written = new Map<string, Promise<string>>() // digest -> staged key: each in-memory blob is written once
  for (const [i, plan] of plans.entries()) images.push(await prepareImage(services, uploadId, plan, names[i], plans.length, counter.bytes, written))
  const { tags, adoptedKeys } = await commitImport(services, uploadId, images)
  await measureLater(services, images.flatMap((img) => img.layers.map((l) => l.digest)))

  // Entries nobody referenced (legacy json, duplicates of stored layers) are not needed any more.
  const leftovers = (await services.db.stagedObject.findMany({ where: { ownerId: uploadId }, select: { objectKey: true } }))
    .map((r) => r.objectKey)
    .filter((k) => !adoptedKeys.has(k))
  await discardStaged(services, leftovers).catch(() => {})

  return {
    uploadId,
    receivedBytes: counter.bytes,
    compression,
    tags,
    images: images.map(importedImage),
  }
}

function importedImage(img: CommitImage): ImportedImage {
  return {
    names: img.names,
    manifestDigest: img.manifest.digest,
    configDigest: img.config.digest,
    layers: img.layers.length,
    uncompressedSize: img.layers.reduce((n, l) => n + l.size, 0),
    packedSize: img.packedSize,
    platform: [img.platform.os, img.platform.architecture, img.platform.variant].filter(Boolean).join('/') || null,
  }
}

/** A multi-platform archive: its platform images (untagged) and ONE index that the names point to. */
async function importIndex(services: Services, uploadId: string, req: ImportRequest, plan: IndexPlan, archiveBytes: number, compression: string): Promise<ImportResult> {
  const names = nameImages([{ refs: plan.refs, tagHint: plan.tagHint, config: { digest: plan.index.digest } }], req)[0]
  await req.authorizeNames?.(names)
  const prepared: CommitImage[] = []
  const written = new Map<string, Promise<string>>()
  for (const child of plan.children) prepared.push(await prepareImage(services, uploadId, child.image, [], plan.children.length, archiveBytes, written))
  const stored = storedIndexManifests(plan, prepared)
  const { tags, adoptedKeys } = await commitIndexImport(services, uploadId, { names, index: stored.index, children: stored.children, packedSize: archiveBytes })
  await measureLater(services, stored.children.flatMap((img) => img.layers.map((l) => l.digest)))
  const leftovers = (await services.db.stagedObject.findMany({ where: { ownerId: uploadId }, select: { objectKey: true } }))
    .map((r) => r.objectKey)
    .filter((k) => !adoptedKeys.has(k))
  await discardStaged(services, leftovers).catch(() => {})
  const images = stored.children.map(importedImage)
  return {
    uploadId,
    receivedBytes: archiveBytes,
    compression,
    tags,
    images,
    index: { names, digest: stored.index.digest, archiveDigest: plan.index.digest, platforms: images.map((i) => i.platform) },
  }
}

/** Writes config and small in-memory layers to the store and builds the manifest to record. */
async function prepareImage(
  services: Services,
  uploadId: string,
  plan: ImagePlan,
  names: ImageName[],
  imageCount: number,
  archiveBytes: number,
  written: Map<string, Promise<string>>,
): Promise<CommitImage> {
  const writeOnce = (digest: string, bytes: Buffer) => {
    if (!written.has(digest)) {
      written.set(
        digest,
        registerStaged(services, uploadId).then(async (key) => (await services.store.write(key, bytes), key)),
      )
    }
    return written.get(digest)!
  }
  const configKey = await writeOnce(plan.config.digest, plan.config.bytes)
  const layers = []
  for (const layer of plan.layers) {
    const key = layer.source.kind === 'blob' ? layer.source.staged.key : await writeOnce(layer.diffId, layer.source.bytes)
    layers.push({ digest: layer.diffId, size: layer.size, key, sourceDigest: layer.sourceDigest, packedSize: layer.entryBytes })
  }
  const configDescriptor = { digest: plan.config.digest, size: plan.config.bytes.length }
  const manifest = buildImageManifest(configDescriptor, layers)
  // "packed" = what the browser sent: the whole archive when it carried one image, else this image's entries.
  const packedSize = imageCount === 1 ? archiveBytes : plan.config.entryBytes + plan.layers.reduce((n, l) => n + l.entryBytes, 0)
  return { names, manifest, config: { ...configDescriptor, key: configKey }, layers, platform: plan.platform, packedSize }
}

type Nameable = Pick<ImagePlan, 'refs' | 'tagHint'> & { config: { digest: string } }

export function nameImages(plans: Nameable[], req: Pick<ImportRequest, 'repository' | 'tag' | 'organization'>): ImageName[][] {
  const organization = req.organization?.trim() || null
  const repository = req.repository?.trim() || null
  const tag = req.tag?.trim() || null
  // Into an organization, another registry's host is dropped and the rest placed under the organization.
  const parse = (ref: string) => parseImageReference(ref, { keepHost: !organization })
  const placed = (name: ImageName): ImageName => {
    if (!organization) return name
    const placedName = { repository: placeInOrganization(organization, name.repository), tag: name.tag }
    const problem = repositoryNameProblem(placedName.repository)
    if (problem) throw new ImportError('NAME_INVALID', `${name.repository} placed into organization "${organization}": ${problem}`, 400)
    return placedName
  }
  if (repository || tag) {
    if (plans.length > 1) {
      throw new ImportError('NAME_AMBIGUOUS', `the archive holds ${plans.length} images; a repository/tag can only be given for an archive with one image`, 400)
    }
    const plan = plans[0]
    const fallback = plan.refs.length ? safeParse(plan.refs[0], parse) : null
    const name: ImageName = {
      repository: repository ?? fallback?.repository ?? '',
      tag: tag ?? plan.tagHint ?? (repository ? 'latest' : fallback?.tag ?? 'latest'),
    }
    if (!name.repository) throw new ImportError('NAME_REQUIRED', 'the image has no repository name in the archive; give one with ?repository=', 400)
    const problem = repositoryNameProblem(name.repository) ?? tagNameProblem(name.tag)
    if (problem) throw new ImportError('NAME_INVALID', problem, 400)
    return [[placed(name)]]
  }
  return plans.map((plan, i) => {
    if (!plan.refs.length) {
      throw new ImportError(
        'NAME_REQUIRED',
        `image ${i + 1} (${plan.config.digest.slice(0, 19)}) has no repository:tag in the archive; ${ArchiveMessage.nameRequiredApiHint}`,
        400,
      )
    }
    const names = plan.refs.map((ref) => {
      try {
        return placed(parse(ref))
      } catch (e) {
        if (e instanceof NameError) throw new ImportError('NAME_INVALID', e.message, 400)
        throw e
      }
    })
    const unique = new Map(names.map((n) => [`${n.repository}:${n.tag}`, n]))
    return [...unique.values()]
  })
}

function safeParse(ref: string, parse: (ref: string) => ImageName): ImageName | null {
  try {
    return parse(ref)
  } catch {
    return null
  }
}

/** An organization quota refusal as the upload's answer (403 QUOTA_EXCEEDED with what/limit/usage). */
export const quotaImportError = (e: QuotaExceeded) => new ImportError('QUOTA_EXCEEDED', `quota exceeded: ${e.message}`, 403, e.detail)

function toImportError(e: unknown, signal?: AbortSignal): ImportError {
  if (signal?.aborted) {
    // the HTTP layer may say why (e.g. CLIENT_IDLE)
    if (isImportError(signal.reason)) return signal.reason
    return new ImportError('CLIENT_ABORTED', 'the upload was aborted before the archive was complete', 400)
  }
  if (isImportError(e)) return e
  if (isQuotaExceeded(e)) return quotaImportError(e)
  if (isStoreUnavailable(e)) return new ImportError('STORAGE_UNAVAILABLE', e.message, 503) // not the client's doing
  if (isDatabaseUnavailable(e)) return new ImportError('DATABASE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE, 503)
  const msg = String((e as Error)?.message ?? e)
  if ((e as any)?.code === 'ECONNRESET' || /aborted/i.test(msg)) {
    return new ImportError('CLIENT_ABORTED', 'the upload was aborted before the archive was complete', 400)
  }
  return new ImportError('STORAGE_FAILED', `the import failed on the server: ${msg}`, 500)
}

/** An abort that keeps what was staged, for the import that continues the upload (the server stops). */
const keptForSuccessor = (req: ImportRequest) => Boolean(req.signal?.aborted && req.keepOnAbort?.(req.signal.reason))

/**
 * A resume point inside a layer: the first bytes of the body finish that layer (its multipart upload
 * continued, lib/resumable/layer-resume.ts), the padding after it is skipped, and the rest is the tar
 * stream from the next header on, read with that layer added to the entries.
 */
async function finishResumedLayer(services: Services, req: ImportRequest, counter: ByteCounter) {
  const { reader, layer } = req.resume!
  const tail = new LayerTail(layer!.size - layer!.bytes, tarEntryBytes(layer!.size) - 512 - layer!.size)
  counter.on('error', (e) => tail.destroy(e))
  const input = req.body.pipe(counter).pipe(tail)
  const staged = await continueLayer(services, layer!, tail.layer, {
    signal: req.signal,
    multipart: recordedMultipart(services, layer!.key, req.uploadId!),
    keepParts: () => keptForSuccessor(req),
    onStored: req.onLayerCheckpoint && ((bytes, stored) => bytes < layer!.size && req.onLayerCheckpoint!(layer!.dataStart + bytes, reader, { ...layer!, bytes, ...stored })),
  })
  const entries = new Map(reader.entries).set(layer!.path, { kind: 'blob', path: layer!.path, staged, entryBytes: tarEntryBytes(layer!.size) })
  const next = layer!.dataStart + tarEntryBytes(layer!.size) - 512
  return { input, resume: { offset: next, reader: { entries, count: reader.count + 1, memory: reader.memory } } }
}

/** A resumed import takes over its Upload row, if no collector failed it meanwhile (its staged objects may be gone). */
async function resumeUploadRow(services: Services, id: string, filename: string | null, leaseUntil: Date) {
  const { count } = await services.db.upload.updateMany({ where: { id, state: 'receiving' }, data: { leaseUntil } })
  if (count === 1) return
  if (await services.db.upload.findUnique({ where: { id }, select: { id: true } })) throw leaseLostError()
  await services.db.upload.create({ data: { id, state: 'receiving', filename, leaseUntil } })
}

/** Counts the bytes the client sent (the "packed" size). */
class ByteCounter extends Transform {
  bytes = 0
  _transform(chunk: Buffer, _e: BufferEncoding, cb: (err: Error | null, data?: Buffer) => void) {
    this.bytes += chunk.length
    cb(null, chunk)
  }
}

export type { ArchiveContents }
export { tarEntryBytes }
