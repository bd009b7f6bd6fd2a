// "Download back": one tag as a `docker load`-compatible tar, laid out as Docker 25+ writes it
// (blobs/sha256/<hex> for config, layers and the OCI manifest, index.json, manifest.json, oci-layout,
// repositories). Layers stream from the bucket one at a time (bounded memory). A layer pushed
// gzip-compressed is decompressed on the way and checked against its diff_id, because `docker load`
// wants the uncompressed layers the config names.
import zlib from 'node:zlib'
import { once } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import type { Services } from '../services'
import { ApiError } from '../http/respond'
import { MediaType } from './media-types'
import { buildImageManifest } from './image-manifest'
import { DigestStream, sha256 } from '../archive/digest-stream'
import { gunzipSize } from '../analysis/measure'
import { planTagArchive } from './export-index'

type ExportLayer = { diffId: string; size: number; objectKey: string; gzip: boolean }

export type ExportPlan = {
  repository: string
  tag: string
  config: { digest: string; bytes: Buffer }
  layers: ExportLayer[]
  platform: { os: string | null; architecture: string | null; variant: string | null }
}

const GZIP_LAYERS = new Set<string>([MediaType.ociLayerGzip, MediaType.dockerLayerGzip])
const TAR_LAYERS = new Set<string>([MediaType.ociLayer, 'application/vnd.docker.image.rootfs.diff.tar'])

const manifestInclude = { blobs: { orderBy: { position: 'asc' as const }, include: { blob: true } } }
export type ManifestWithBlobs = Awaited<ReturnType<typeof findTagManifest>>

/** The tag's manifest with its blobs, or 404. */
export async function findTagManifest(services: Services, repository: string, tag: string) {
  const row = await services.db.tag.findFirst({ where: { name: tag, repository: { name: repository } }, include: { manifest: { include: manifestInclude } } })
  if (!row) throw new ApiError(404, 'TAG_NOT_FOUND', `${repository}:${tag} does not exist`)
  return row.manifest
}

/** Platform images of an index, by digest, in its repository. */
export async function findManifestRows(services: Services, repositoryId: number, digests: string[]) {
  const rows = await services.db.manifest.findMany({ where: { repositoryId, digest: { in: digests } }, include: manifestInclude })
  return new Map(rows.map((r) => [r.digest, r]))
}

/** What the archive of one image manifest, saved as repository:tag, will hold; throws ApiError when it cannot be exported. */
export async function planImageArchive(services: Services, repository: string, tag: string, m: ManifestWithBlobs): Promise<ExportPlan> {
  const configRow = m.blobs.find((b) => b.role === 'config')
  if (!configRow || (m.mediaType !== MediaType.ociManifest && m.mediaType !== MediaType.dockerManifest)) {
    throw new ApiError(409, 'NOT_EXPORTABLE', `${repository}:${tag} is a ${m.mediaType}, not an image; pull it with a registry client instead`)
  }
  if (Number(configRow.blob.size) > services.limits.maxJsonBytes) throw new ApiError(409, 'NOT_EXPORTABLE', 'the image config is too large to export')
  const bytes = await readAll(await services.store.read(configRow.blob.objectKey))
  let diffIds: unknown
  try {
    diffIds = JSON.parse(bytes.toString('utf8'))?.rootfs?.diff_ids
  } catch {
    diffIds = null
  }
  const layerRows = m.blobs.filter((b) => b.role === 'layer')
  if (!Array.isArray(diffIds) || diffIds.length !== layerRows.length) {
    throw new ApiError(409, 'NOT_EXPORTABLE', `the config of ${repository}:${tag} does not list one diff_id per layer, so docker load could not use it`)
  }
  const layers: ExportLayer[] = []
  for (const [i, l] of layerRows.entries()) {
    const type = l.blob.mediaType ?? ''
    const gzip = GZIP_LAYERS.has(type)
    if (!gzip && !TAR_LAYERS.has(type)) {
      throw new ApiError(409, 'NOT_EXPORTABLE', `layer ${i + 1} of ${repository}:${tag} is ${type || 'of unknown type'}; only tar and tar+gzip layers can be exported`)
    }
    // a gzip layer's uncompressed size is measured in the background; if that has not happened yet, measure now
    const size = gzip ? Number(l.blob.uncompressedSize ?? (await gunzipSize(await services.store.read(l.blob.objectKey)))) : Number(l.blob.size)
    layers.push({ diffId: diffIds[i] as string, size, objectKey: l.blob.objectKey, gzip })
  }
  // the archive is a sha256 image layout (what docker load reads), also for an image pushed with sha512 digests
  return { repository, tag, config: { digest: sha256(bytes), bytes }, layers, platform: { os: m.os, architecture: m.architecture, variant: m.variant } }
}

export type Entry = { name: string; size: number; write: (pack: tar.Pack, signal: AbortSignal) => Promise<void> } | { name: string; directory: true }

export const hexOf = (digest: string) => digest.slice('sha256:'.length)
export const blobPath = (digest: string) => `blobs/sha256/${hexOf(digest)}`

/** The archive's entries, in the order Docker 25 writes them. */
export function entriesOf(services: Services, plan: ExportPlan): Entry[] {
  return savedImagesEntries(services, [{ plan, names: [{ repository: plan.repository, tag: plan.tag }] }])
}

/** One image of a `docker save` archive and the names it is saved under (none: saved untagged, as docker does for a digest). */
export type SavedImage = { plan: ExportPlan; names: { repository: string; tag: string }[] }

/**
 * The entries of a `docker save` archive of several images (Docker 25 layout): every blob once (a layer
 * shared by images, a config named twice), one manifest.json entry per image with all its names, one
 * index.json entry per name, and the legacy `repositories` file.
 */
export function savedImagesEntries(services: Services, images: SavedImage[]): Entry[] {
  const entries: Entry[] = [{ name: 'blobs/', directory: true }, { name: 'blobs/sha256/', directory: true }]
  const written = new Set<string>()
  const index: unknown[] = []
  const repositories: Record<string, Record<string, string>> = {}
  for (const { plan, names } of images) {
    entries.push(...imageBlobEntries(services, plan, written))
    const manifest = buildImageManifest({ digest: plan.config.digest, size: plan.config.bytes.length }, plan.layers.map((l) => ({ digest: l.diffId, size: l.size })))
    if (!written.has(manifest.digest)) entries.push(smallEntry(blobPath(manifest.digest), manifest.bytes))
    written.add(manifest.digest)
    const platform = Object.fromEntries(Object.entries({ architecture: plan.platform.architecture, os: plan.platform.os, variant: plan.platform.variant }).filter(([, v]) => v))
    const descriptor = { mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.bytes.length }
    const withPlatform = Object.keys(platform).length ? { platform } : {}
    if (!names.length) index.push({ ...descriptor, ...withPlatform })
    for (const n of names) {
      index.push({ ...descriptor, annotations: { 'io.containerd.image.name': `${n.repository}:${n.tag}`, 'org.opencontainers.image.ref.name': n.tag }, ...withPlatform })
      // docker names the top layer (its v1 id); an image without layers has no line
      if (plan.layers.length) (repositories[n.repository] ??= {})[n.tag] = hexOf(plan.layers[plan.layers.length - 1].diffId)
    }
  }
  const json = (name: string, value: unknown) => smallEntry(name, Buffer.from(JSON.stringify(value)))
  entries.push(
    json('index.json', { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index }),
    json(
      'manifest.json',
      images.map(({ plan, names }) => ({ Config: blobPath(plan.config.digest), RepoTags: names.map((n) => `${n.repository}:${n.tag}`), Layers: plan.layers.map((l) => blobPath(l.diffId)) })),
    ),
    json('oci-layout', { imageLayoutVersion: '1.0.0' }),
    json('repositories', repositories),
  )
  return entries
}

/** Config and layers of one image; a blob already in `written` (a layer repeated or shared by platforms) is stored once. */
export function imageBlobEntries(services: Services, plan: ExportPlan, written: Set<string>): Entry[] {
  const entries: Entry[] = []
  if (!written.has(plan.config.digest)) entries.push(smallEntry(blobPath(plan.config.digest), plan.config.bytes))
  written.add(plan.config.digest)
  for (const layer of plan.layers) {
    if (written.has(layer.diffId)) continue
    written.add(layer.diffId)
    entries.push({ name: blobPath(layer.diffId), size: layer.size, write: (pack, signal) => writeLayer(services, pack, blobPath(layer.diffId), layer, signal) })
  }
  return entries
}

export const smallEntry = (name: string, data: Buffer): Entry => ({ name, size: data.length, write: (pack) => writeBuffer(pack, name, data) })

const BLOCK = 512
/** Bytes of the tar: a 512-byte header per entry, contents padded to 512, two zero blocks at the end (names stay under 100 bytes). */
export function archiveSize(entries: Entry[]) {
  return entries.reduce((n, e) => n + BLOCK + ('directory' in e ? 0 : Math.ceil(e.size / BLOCK) * BLOCK), 2 * BLOCK)
}

const MTIME = new Date(0)

export async function writeImageArchive(out: Writable, entries: Entry[]) {
  const pack = tar.pack()
  // if the client goes away, the entry being written stops waiting for room and its S3 stream closes
  const gone = new AbortController()
  const pumping = pump(pack, out).catch((e) => {
    gone.abort(e)
    throw e
  })
  pumping.catch(() => {}) // awaited below
  try {
    for (const e of entries) {
      if ('directory' in e) await addEntry(pack, { name: e.name, type: 'directory', mode: 0o755, mtime: MTIME })
      else await e.write(pack, gone.signal)
    }
    pack.finalize()
  } catch (e) {
    // cut the download: a client must never take a truncated archive for a complete one
    pack.destroy()
    out.destroy()
    throw e
  }
  await pumping
}

/**
 * Answers GET /api/repositories/<name>/tags/<tag>/archive[?platform=os/arch[/variant]]: an image; for a
 * multi-platform tag the chosen platform's image, or without ?platform all of them (Docker 25 multi-platform save).
 */
export async function serveImageArchive(services: Services, req: IncomingMessage, res: ServerResponse, repository: string, tag: string) {
  const platform = new URL(req.url ?? '/', 'http://localhost').searchParams.get('platform')
  const { entries, suffix } = await planTagArchive(services, repository, tag, platform)
  await sendArchive(req, res, entries, { filename: `${repository.replaceAll('/', '_')}_${tag}${suffix}.tar`, gzip: false })
}

/**
 * Answers with the archive of `entries`: its exact length is known in advance when it goes out as a plain
 * tar; gzip-compressed it streams without one. HEAD answers the headers only.
 */
export async function sendArchive(req: IncomingMessage, res: ServerResponse, entries: Entry[], opts: { filename: string; gzip: boolean }) {
  res.writeHead(200, {
    'Content-Type': opts.gzip ? 'application/gzip' : 'application/x-tar',
    ...(opts.gzip ? {} : { 'Content-Length': String(archiveSize(entries)) }),
    'Content-Disposition': `attachment; filename="${opts.filename}${opts.gzip ? '.gz' : ''}"`,
    'Cache-Control': 'no-store',
  })
  if (req.method === 'HEAD') return void res.end()
  try {
    if (!opts.gzip) return await writeImageArchive(res, entries)
    const gzip = zlib.createGzip()
    // the client going away destroys the gzip stream too, which stops the tar writer (writeImageArchive)
    const piped = pipeline(gzip, res)
    piped.catch(() => {}) // a failure shows in the writer; the response is then cut
    await writeImageArchive(gzip, entries)
    await piped
  } catch (e) {
    // a client that leaves is no server error: its reads have stopped, nothing to log
    if (e instanceof ClientGoneError || (e instanceof Error && e.cause instanceof ClientGoneError)) return
    throw e
  }
}

/** The client closed the connection while the archive was being sent. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection')
  }
}

type EntryHeader = { name: string; type: 'file' | 'directory'; mode: number; mtime: Date; size?: number }

function addEntry(pack: tar.Pack, header: EntryHeader, data?: Buffer) {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve())
    if (data) pack.entry(header, data, done)
    else pack.entry(header, done)
  })
}

export function writeBuffer(pack: tar.Pack, name: string, data: Buffer) {
  return addEntry(pack, { name, size: data.length, mode: 0o644, mtime: MTIME, type: 'file' }, data)
}

/** Streams one layer into the archive with backpressure; a gzip layer must decompress to its diff_id. */
export async function writeLayer(services: Services, pack: tar.Pack, name: string, layer: ExportLayer, signal: AbortSignal) {
  let finish!: (err?: Error | null) => void
  const written = new Promise<void>((ok, fail) => (finish = (err) => (err ? fail(err) : ok())))
  written.catch(() => {}) // awaited below; may also fail while we are still writing
  const sink = pack.entry({ name, size: layer.size, mode: 0o644, mtime: MTIME, type: 'file' }, (err) => finish(err))
  const source = await services.store.read(layer.objectKey)
  const digest = layer.gzip ? new DigestStream() : null
  const content: Readable = digest ? source.pipe(zlib.createGunzip({ chunkSize: 128 * 1024 })).pipe(digest) : source
  if (digest) source.on('error', (e) => content.destroy(e))
  try {
    for await (const chunk of content as AsyncIterable<Buffer>) {
      if (!sink.write(chunk)) await once(sink as unknown as NodeJS.EventEmitter, 'drain', { signal })
    }
  } finally {
    source.destroy()
  }
  const actual = digest?.digest()
  if (actual && actual !== layer.diffId) throw new Error(`layer ${layer.diffId} decompresses to ${actual}; the pushed image is inconsistent`)
  sink.end(undefined)
  await written
}

/** Copies the pack's output to the client, waiting for room; fails when the client goes away. */
async function pump(pack: tar.Pack, out: Writable) {
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) {
    if (!out.write(chunk)) await drained(out)
  }
  out.end()
}

function drained(out: Writable) {
  return new Promise<void>((resolve, reject) => {
    if (out.destroyed) return reject(new ClientGoneError())
    const onDrain = () => settle(resolve)
    const onClose = () => settle(() => reject(new ClientGoneError()))
    const settle = (then: () => void) => {
      out.off('drain', onDrain)
      out.off('close', onClose)
      then()
    }
    out.on('drain', onDrain)
    out.on('close', onClose)
  })
}

async function readAll(stream: Readable) {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
