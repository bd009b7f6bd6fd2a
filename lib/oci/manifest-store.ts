// Manifests of the registry API in the database: lookup by tag or digest, storing a pushed manifest
// (after checking that everything it references is in the repository), deleting by digest.
import type { Services } from '../services'
import { MediaType } from '../registry/media-types'
import { setTags } from '../registry/set-tag'
import { OciError } from './errors'
import { transaction } from './transaction'
import { enforceQuotas } from '../accounts/quotas'
import { isForeignLayer, type Descriptor, type ParsedManifest } from './manifest-parse'
import type { Reference } from './references'
import { measureLater } from '../analysis/blob-analysis'

type Tx = Services['db']

export async function findManifest(services: Services, repositoryId: number, ref: Reference) {
  if (ref.kind === 'digest') {
    return services.db.manifest.findUnique({ where: { repositoryId_digest: { repositoryId, digest: ref.digest } } })
  }
  const tag = await services.db.tag.findUnique({ where: { repositoryId_name: { repositoryId, name: ref.tag } }, include: { manifest: true } })
  return tag?.manifest ?? null
}

/** `tags`: the tags to point at the manifest (none for a push by digest without ?tag=). */
export type StoreManifest = { repository: string; parsed: ParsedManifest; bytes: Buffer; digest: string; tags: string[] }

export async function storeManifest(services: Services, m: StoreManifest) {
  const platform = m.parsed.config ? await readPlatform(services, m.repository, m.parsed.config) : null
  await transaction(services, async (tx) => {
    const tags = m.tags.length ? m.tags.map((tag) => ({ repository: m.repository, tag })) : [{ repository: m.repository, tag: null }]
    await enforceQuotas(tx, { tags, blobs: [] })
    const repo = await tx.repository.upsert({ where: { name: m.repository }, create: { name: m.repository }, update: {} })
    await verifyReferences(tx, repo.id, m.parsed)
    let row = await tx.manifest.findUnique({ where: { repositoryId_digest: { repositoryId: repo.id, digest: m.digest } }, select: { id: true } })
    if (!row) {
      const { parsed } = m
      row = await tx.manifest.create({
        data: {
          repositoryId: repo.id,
          digest: m.digest,
          mediaType: parsed.mediaType,
          content: new Uint8Array(m.bytes),
          configDigest: parsed.config?.digest ?? null,
          artifactType: parsed.artifactType,
          subjectDigest: parsed.subject?.digest ?? null,
          os: platform?.os ?? null,
          architecture: platform?.architecture ?? null,
          variant: platform?.variant ?? null,
          blobs: {
            create: parsed.config
              ? [
                  { position: -1, digest: parsed.config.digest, role: 'config' },
                  ...parsed.layers.flatMap((l, i) => (isForeignLayer(l) ? [] : [{ position: i, digest: l.digest, role: 'layer' }])),
                ]
              : [],
          },
        },
        select: { id: true },
      })
      await recordBlobMediaTypes(tx, parsed)
    }
    await setTags(
      tx,
      m.tags.map((tag) => ({ repositoryId: repo.id, tag, manifestId: row.id, manifestDigest: m.digest, source: 'push' as const })),
    )
  })
  // layers this manifest typed as measurable (recordBlobMediaTypes) wait for their sizes
  await measureLater(services, m.parsed.layers.map((l) => l.digest))
}

/** Every blob an image manifest names must be linked here, with the size it claims; an index's children must be stored here. */
async function verifyReferences(tx: Tx, repositoryId: number, parsed: ParsedManifest) {
  if (parsed.kind === 'index') {
    const wanted = [...new Set(parsed.manifests.map((d) => d.digest))]
    const found = await tx.manifest.findMany({ where: { repositoryId, digest: { in: wanted } }, select: { digest: true } })
    const have = new Set(found.map((f) => f.digest))
    const missing = wanted.find((d) => !have.has(d))
    if (missing) throw new OciError('MANIFEST_BLOB_UNKNOWN', `the index references manifest ${missing}, which is not in this repository`, { detail: { digest: missing } })
    return
  }
  const descriptors = [parsed.config!, ...parsed.layers.filter((l) => !isForeignLayer(l))]
  const wanted = [...new Set(descriptors.map((d) => d.digest))]
  const links = await tx.repositoryBlob.findMany({ where: { repositoryId, digest: { in: wanted } }, include: { blob: { select: { size: true } } } })
  const sizes = new Map(links.map((l) => [l.digest, Number(l.blob.size)]))
  for (const d of descriptors) {
    const size = sizes.get(d.digest)
    if (size === undefined) {
      throw new OciError('MANIFEST_BLOB_UNKNOWN', `blob ${d.digest} (${d.mediaType}) is not in this repository; push it before the manifest`, { detail: { digest: d.digest } })
    }
    if (size !== d.size) {
      throw new OciError('MANIFEST_INVALID', `the manifest says blob ${d.digest} has ${d.size} bytes, but it has ${size}`, { detail: { digest: d.digest, size } })
    }
  }
}

const GZIP_LAYERS = new Set<string>([MediaType.ociLayerGzip, MediaType.dockerLayerGzip])
const TAR_LAYERS = new Set<string>([MediaType.ociLayer, 'application/vnd.docker.image.rootfs.diff.tar'])

/**
 * A pushed blob learns its media type from the first manifest that references it. Gzip layers then get
 * their uncompressed size measured in the background (compressed = what was pushed); uncompressed tar
 * layers get their gzip size measured, like imported ones. Blobs typed before (imports) are left alone.
 */
async function recordBlobMediaTypes(tx: Tx, parsed: ParsedManifest) {
  if (parsed.config) {
    await tx.blob.updateMany({ where: { digest: parsed.config.digest, mediaType: null }, data: { mediaType: parsed.config.mediaType, analysisState: 'skipped' } })
  }
  for (const l of parsed.layers) {
    if (isForeignLayer(l)) continue
    const data = GZIP_LAYERS.has(l.mediaType)
      ? { mediaType: l.mediaType, compressedSize: BigInt(l.size), analysisState: 'pending' }
      : TAR_LAYERS.has(l.mediaType)
        ? { mediaType: l.mediaType, uncompressedSize: BigInt(l.size), analysisState: 'pending' }
        : { mediaType: l.mediaType, analysisState: 'skipped' }
    await tx.blob.updateMany({ where: { digest: l.digest, mediaType: null }, data })
  }
}

const CONFIG_TYPES = new Set<string>([MediaType.ociConfig, MediaType.dockerConfig])

/** os/architecture/variant from an image config, for the console; null for artifacts or unreadable configs. */
async function readPlatform(services: Services, repository: string, config: Descriptor) {
  if (!CONFIG_TYPES.has(config.mediaType) || config.size > services.limits.maxJsonBytes) return null
  const link = await services.db.repositoryBlob.findFirst({ where: { digest: config.digest, repository: { name: repository } }, include: { blob: true } })
  if (!link || Number(link.blob.size) !== config.size) return null // verifyReferences reports it
  const chunks: Buffer[] = []
  for await (const c of await services.store.read(link.blob.objectKey)) chunks.push(c as Buffer)
  try {
    const json = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    const s = (v: unknown) => (typeof v === 'string' && v ? v : null)
    return { os: s(json?.os), architecture: s(json?.architecture), variant: s(json?.variant) }
  } catch {
    return null
  }
}

/** Deletes a manifest and the tags pointing at it (each recorded in the tag history). */
export async function deleteManifest(services: Services, repositoryId: number, digest: string): Promise<boolean> {
  return transaction(services, async (tx) => {
    const manifest = await tx.manifest.findUnique({ where: { repositoryId_digest: { repositoryId, digest } }, select: { id: true } })
    if (!manifest) return false
    const tags = await tx.tag.findMany({ where: { manifestId: manifest.id }, select: { name: true } })
    for (const t of tags) {
      await tx.tag.delete({ where: { repositoryId_name: { repositoryId, name: t.name } } })
      await tx.tagEvent.create({ data: { repositoryId, tag: t.name, manifestDigest: digest, action: 'delete', source: 'push' } })
    }
    await tx.manifest.delete({ where: { id: manifest.id } })
    return true
  })
}
