// Manifests of the registry API in the database: lookup by tag or digest, storing a pushed manifest
// (after checking that everything it references is in the repository), deleting by digest.
import type { Services } from '../services'
import { MediaType } from '../registry/media-types'
import { lockRepositories, setTags } from '../registry/set-tag'
import { insertChildLinks } from '../registry/manifest-children'
import { OciError } from './errors'
import { transaction } from './transaction'
import { enforceQuotas } from '../accounts/quotas'
import { isStoreUnavailable } from '../storage/store-errors'
import { isForeignLayer, type Descriptor, type ParsedManifest } from './manifest-parse'
import { measureLater } from '../analysis/blob-analysis'
import { forgetManifest } from './read-queries'

type Tx = Services['db']

/** `tags`: the tags to point at the manifest (none for a push by digest without ?tag=). */
export type StoreManifest = { repository: string; parsed: ParsedManifest; bytes: Buffer; digest: string; tags: string[] }

export async function storeManifest(services: Services, m: StoreManifest) {
  const platform = m.parsed.config ? await readPlatform(services, m.repository, m.parsed.config) : null
  await transaction(services, async (tx) => {
    const tags = m.tags.length ? m.tags.map((tag) => ({ repository: m.repository, tag })) : [{ repository: m.repository, tag: null }]
    await enforceQuotas(tx, { tags, blobs: [] })
    const repo = await tx.repository.upsert({ where: { name: m.repository }, create: { name: m.repository }, update: {} })
    // Garbage collection deletes links and manifests of a repository under this same lock: what
    // verifyReferences finds stays there until the manifest referencing it is committed.
    await lockRepositories(tx, [repo.id])
    const children = await verifyReferences(tx, repo.id, m.parsed)
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
    // an index keeps the manifests it lists (re-pushed: restores rows a delete by digest removed)
    if (children.length) await insertChildLinks(tx, row.id, children)
    await setTags(
      tx,
      m.tags.map((tag) => ({ repositoryId: repo.id, tag, manifestId: row.id, manifestDigest: m.digest, source: 'push' as const })),
    )
  })
  // layers this manifest typed as measurable (recordBlobMediaTypes) wait for their sizes
  await measureLater(services, m.parsed.layers.map((l) => l.digest))
}

/**
 * Every blob an image manifest names must be linked here, with the size it claims; an index's children
 * must be stored here. Answers the ids of an index's children (none for an image manifest).
 */
async function verifyReferences(tx: Tx, repositoryId: number, parsed: ParsedManifest): Promise<number[]> {
  if (parsed.kind === 'index') {
    const wanted = [...new Set(parsed.manifests.map((d) => d.digest))]
    const found = await tx.manifest.findMany({ where: { repositoryId, digest: { in: wanted } }, select: { id: true, digest: true } })
    const have = new Set(found.map((f) => f.digest))
    const missing = wanted.find((d) => !have.has(d))
    if (missing) throw new OciError('MANIFEST_BLOB_UNKNOWN', `the index references manifest ${missing}, which is not in this repository`, { detail: { digest: missing } })
    return found.map((f) => f.id)
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
  return []
}

// zstd too (lib/layers/zstd-stream.ts): measured and indexed in the same decompressing pass
const COMPRESSED_LAYERS = new Set<string>([MediaType.ociLayerGzip, MediaType.dockerLayerGzip, MediaType.ociLayerZstd])
const TAR_LAYERS = new Set<string>([MediaType.ociLayer, 'application/vnd.docker.image.rootfs.diff.tar'])

/**
 * A pushed blob learns its media type from the first manifest that references it. Gzip/zstd layers then get
 * their uncompressed size measured in the background (compressed = what was pushed); uncompressed tar
 * layers get their gzip size measured, like imported ones. Blobs typed before (imports) are left alone.
 */
async function recordBlobMediaTypes(tx: Tx, parsed: ParsedManifest) {
  if (parsed.config) {
    await tx.blob.updateMany({ where: { digest: parsed.config.digest, mediaType: null }, data: { mediaType: parsed.config.mediaType, analysisState: 'skipped' } })
  }
  for (const l of parsed.layers) {
    if (isForeignLayer(l)) continue
    const data = COMPRESSED_LAYERS.has(l.mediaType)
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
  // blob null: garbage collection deleted link and blob between Prisma's two queries (no transaction here)
  if (!link?.blob || Number(link.blob.size) !== config.size) return null // verifyReferences reports it
  const chunks: Buffer[] = []
  try {
    for await (const c of await services.store.read(link.blob.objectKey)) chunks.push(c as Buffer)
  } catch (e) {
    if (isStoreUnavailable(e)) throw e
    return null // collected since (garbage collection): verifyReferences reports the missing blob
  }
  try {
    const json = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    const s = (v: unknown) => (typeof v === 'string' && v ? v : null)
    return { os: s(json?.os), architecture: s(json?.architecture), variant: s(json?.variant) }
  } catch {
    return null
  }
}

export type DeleteManifestOutcome = { deleted: true; tags: string[] } | { deleted: false; listedBy?: string }

/**
 * Deletes a manifest and the tags pointing at it (each recorded in the tag history): unpullable at once,
 * its bytes freed by the next garbage collection. An index of the repository that lists it either
 * refuses the delete (`listed: 'refuse'`, the console: answers that index's digest) or loses it from its
 * children (`listed: 'unlist'`, the registry API, as other registries do). As a parent, its own
 * ManifestChild rows cascade.
 */
export async function deleteManifest(
  services: Services,
  repositoryId: number,
  digest: string,
  opts: { listed: 'refuse' | 'unlist'; source: 'push' | 'console' },
): Promise<DeleteManifestOutcome> {
  const outcome = await transaction(services, async (tx): Promise<DeleteManifestOutcome> => {
    await lockRepositories(tx, [repositoryId]) // as every writer of the repository's tags
    const manifest = await tx.manifest.findUnique({ where: { repositoryId_digest: { repositoryId, digest } }, select: { id: true } })
    if (!manifest) return { deleted: false }
    if (opts.listed === 'refuse') {
      const parent = await tx.manifestChild.findFirst({ where: { childId: manifest.id }, select: { parent: { select: { digest: true } } }, orderBy: { parentId: 'asc' } })
      if (parent) return { deleted: false, listedBy: parent.parent.digest }
    } else {
      await tx.manifestChild.deleteMany({ where: { childId: manifest.id } })
    }
    const tags = await tx.tag.findMany({ where: { manifestId: manifest.id }, select: { name: true }, orderBy: { name: 'asc' } })
    if (tags.length) {
      await tx.tag.deleteMany({ where: { repositoryId, manifestId: manifest.id } })
      await tx.tagEvent.createMany({ data: tags.map((t) => ({ repositoryId, tag: t.name, manifestDigest: digest, action: 'delete', source: opts.source })) })
    }
    await tx.manifest.delete({ where: { id: manifest.id } })
    return { deleted: true, tags: tags.map((t) => t.name) }
  })
  if (outcome.deleted) forgetManifest(services.db, digest)
  return outcome
}
