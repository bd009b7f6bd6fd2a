// The registry's pull path in as few statements as possible (issue 12, read load): each GET asks the
// database one raw query that joins what used to be two or three Prisma calls (repository by name,
// tag, manifest; or repository, link, blob). Raw SQL also skips Prisma's query compiler, which cost
// more CPU than the query itself. What may change (tags, links, deletions) is asked every time, so
// several instances always agree; only bytes named by a digest are cached (byte-cache.ts).
import type { Services } from '../services'
import type { Db } from '../db/client'
import { ByteCache } from './byte-cache'
import type { Reference } from './references'

/** Manifests are small JSON documents; an image index of many platforms may reach a few hundred KiB. */
const MANIFEST_CACHE_BYTES = 16 * 2 ** 20
const MANIFEST_MAX_ENTRY_BYTES = 1 * 2 ** 20

/**
 * Small blobs (configs, small layers) by digest, served from memory after the link check: the bytes
 * behind a digest never change, and every request still asks the database whether this repository
 * links the blob. STOWAGE_BLOB_CACHE_MB (default 64, 0 = off) bounds the total; blobs over
 * STOWAGE_BLOB_CACHE_MAX_KB (default 1024) always stream from the object store.
 */
export function blobCacheSettings(env: Record<string, string | undefined> = process.env) {
  const int = (name: string, fallback: number, max: number) => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    if (!/^\d+$/.test(raw) || Number(raw) > max) throw new Error(`${name} must be a whole number from 0 to ${max}, not "${raw.slice(0, 40)}"`)
    return Number(raw)
  }
  return { maxBytes: int('STOWAGE_BLOB_CACHE_MB', 64, 16_384) * 2 ** 20, maxEntryBytes: int('STOWAGE_BLOB_CACHE_MAX_KB', 1024, 1024 * 1024) * 1024 }
}
// read at start: a bad value stops the server with the message above, not a later download
const BLOB_CACHE = blobCacheSettings()

// Keyed by the database client: one per instance (test instances in one process stay apart), and what
// garbage collection, which is handed only the client, has at hand when it deletes a manifest.
const caches = new WeakMap<Db, { manifests: ByteCache; blobs: ByteCache }>()

function cachesOf(db: Db) {
  let c = caches.get(db)
  if (!c) caches.set(db, (c = { manifests: new ByteCache(MANIFEST_CACHE_BYTES, MANIFEST_MAX_ENTRY_BYTES), blobs: new ByteCache(BLOB_CACHE.maxBytes, BLOB_CACHE.maxEntryBytes) }))
  return c
}

/** This instance's manifest bytes by digest. */
export const manifestCache = (db: Db): ByteCache => cachesOf(db).manifests

/** This instance's small blobs by digest. */
export const blobCache = (db: Db): ByteCache => cachesOf(db).blobs

/** A deleted manifest (DELETE, console, garbage collection, retention) leaves this instance's cache at once. */
export function forgetManifest(db: Db, digest: string) {
  caches.get(db)?.manifests.forget(digest)
}

/** Blobs garbage collection deleted leave this instance's cache at once. */
export function forgetBlobs(db: Db, digests: string[]) {
  const c = caches.get(db)
  for (const d of digests) c?.blobs.forget(d)
}

export type StoredManifest = { digest: string; mediaType: string; content: Buffer }
/** null: no such repository; `manifest` null: the repository has no such tag or digest. */
export type ManifestLookup = { repositoryId: number; manifest: StoredManifest | null } | null

type ManifestRow = { repositoryId: number | bigint; manifestId: number | bigint | null; digest: string | null; mediaType: string | null }

/** The repository and the manifest a tag or digest names in it, in one query; the bytes from the cache when it has them. */
export async function lookupManifest(services: Services, repository: string, ref: Reference): Promise<ManifestLookup> {
  const { db } = services
  const rows =
    ref.kind === 'tag'
      ? await db.$queryRaw<ManifestRow[]>`
          SELECT r.id AS "repositoryId", m.id AS "manifestId", m.digest, m."mediaType"
          FROM "Repository" r
          LEFT JOIN "Tag" t ON t."repositoryId" = r.id AND t.name = ${ref.tag}
          LEFT JOIN "Manifest" m ON m.id = t."manifestId"
          WHERE r.name = ${repository}`
      : await db.$queryRaw<ManifestRow[]>`
          SELECT r.id AS "repositoryId", m.id AS "manifestId", m.digest, m."mediaType"
          FROM "Repository" r
          LEFT JOIN "Manifest" m ON m."repositoryId" = r.id AND m.digest = ${ref.digest}
          WHERE r.name = ${repository}`
  const row = rows[0]
  if (!row) return null
  const repositoryId = Number(row.repositoryId)
  if (row.manifestId === null || row.digest === null || row.mediaType === null) return { repositoryId, manifest: null }
  const content = await manifestBytes(services, Number(row.manifestId), row.digest)
  // deleted between the two statements: it is gone
  return { repositoryId, manifest: content ? { digest: row.digest, mediaType: row.mediaType, content } : null }
}

async function manifestBytes(services: Services, manifestId: number, digest: string): Promise<Buffer | null> {
  const cache = manifestCache(services.db)
  const cached = cache.get(digest)
  if (cached) return cached
  const row = await services.db.manifest.findUnique({ where: { id: manifestId }, select: { content: true } })
  if (!row) return null
  const content = Buffer.from(row.content)
  cache.set(digest, content)
  return content
}

export type LinkedBlob = { digest: string; size: number; objectKey: string; touchedAt: Date }

type BlobRow = { size: bigint | number; objectKey: string; touchedAt: Date | string | number }

/** The blob `digest` when `repository` links it (may serve it), with where its bytes are: one query. */
export async function lookupLinkedBlob(services: Services, repository: string, digest: string): Promise<LinkedBlob | null> {
  const rows = await services.db.$queryRaw<BlobRow[]>`
    SELECT b.size, b."objectKey", rb."touchedAt"
    FROM "Repository" r
    JOIN "RepositoryBlob" rb ON rb."repositoryId" = r.id AND rb.digest = ${digest}
    JOIN "Blob" b ON b.digest = rb.digest
    WHERE r.name = ${repository}`
  const row = rows[0]
  return row ? { digest, size: Number(row.size), objectKey: row.objectKey, touchedAt: dateOf(row.touchedAt) } : null
}

/** A timestamp as the drivers return it from raw SQL (PostgreSQL: Date; SQLite: ISO text or epoch ms). */
export const dateOf = (v: Date | string | number): Date => (v instanceof Date ? v : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v))
