// Read models for the console: repositories, tags, and one image in detail with its three sizes.
import type { Services } from '../services'
import { INDEX_MEDIA_TYPES } from './index-manifest'
import { Prisma } from '../db/generated/sqlite/client'
import { visibleRepositorySql, type VisibleScope } from '../auth/visibility'

export const PAGE_SIZE = 20

export type SizeSummary = {
  packed: number | null // null for images pushed through the registry API (no archive was uploaded)
  uncompressed: number | null // null while a pushed (gzip) layer's uncompressed size is being measured
  compressed: number | null // null while the background computation is still running
  compressedState: 'pending' | 'done' | 'failed'
}

const num = (v: bigint | number | null | undefined) => (v === null || v === undefined ? null : Number(v))

export const REPOSITORY_SORTS = ['name', 'updated', 'size'] as const
export type RepositorySort = (typeof REPOSITORY_SORTS)[number]

export const isRepositorySort = (s: string | null | undefined): s is RepositorySort => (REPOSITORY_SORTS as readonly string[]).includes(s ?? '')

type RepositoryRow = { name: string; tagCount: bigint | number; updatedAt: Date | string | number | null; size: bigint | number | null; unmeasured: bigint | number | null; total: bigint | number }

/** A timestamp as the drivers return it from raw SQL (PostgreSQL: Date; SQLite: ISO text or epoch ms). */
const dateOf = (v: Date | string | number | null) => (v === null ? null : v instanceof Date ? v : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v))

/**
 * One page of repositories that hold at least one manifest (LISTED_REPOSITORY, lib/oci/listings.ts), filtered by a name fragment and sorted by name
 * (A→Z), last update (newest first) or size (largest first), in ONE query on SQLite and PostgreSQL.
 * size = uncompressed bytes of the repository's distinct layers that some tag references (directly, or
 * through the images of a tagged index): what its tagged images take in storage, each layer counted once.
 * `sizeComplete` is false while a pushed layer's uncompressed size is still being measured.
 * `scope`: which repositories the caller may see (lib/auth/visibility.ts); the others are not counted either.
 */
export async function listRepositories(services: Services, scope: VisibleScope, q: string, page: number, pageSize = PAGE_SIZE, sort: RepositorySort = 'name') {
  const needle = q.toLowerCase()
  // LIKE with its wildcards escaped: the fragment matches literally anywhere in the name
  const pattern = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  const visible = await visibleRepositorySql(services.db, scope, Prisma.raw('r.name'), Prisma.raw('r.public'))
  const rows = await services.db.$queryRaw<RepositoryRow[]>`
    WITH tagged AS (
      SELECT DISTINCT t."repositoryId" AS rid, t."manifestId" AS mid FROM "Tag" t
    ), images AS (
      SELECT rid, mid FROM tagged
      UNION
      SELECT tg.rid, child.id FROM tagged tg
        JOIN "ManifestBlob" ref ON ref."manifestId" = tg.mid AND ref.role NOT IN ('layer', 'config')
        JOIN "Manifest" child ON child."repositoryId" = tg.rid AND child.digest = ref.digest
    ), layers AS (
      SELECT DISTINCT i.rid, mb.digest FROM images i JOIN "ManifestBlob" mb ON mb."manifestId" = i.mid AND mb.role = 'layer'
    ), sizes AS (
      SELECT l.rid, CAST(SUM(b."uncompressedSize") AS BIGINT) AS size, COUNT(*) - COUNT(b."uncompressedSize") AS unmeasured
      FROM layers l JOIN "Blob" b ON b.digest = l.digest GROUP BY l.rid
    ), tagstats AS (
      SELECT t."repositoryId" AS rid, COUNT(*) AS "tagCount", MAX(t."updatedAt") AS "updatedAt" FROM "Tag" t GROUP BY t."repositoryId"
    ), manifeststats AS (
      SELECT m."repositoryId" AS rid, MAX(m."createdAt") AS "createdAt" FROM "Manifest" m GROUP BY m."repositoryId"
    )
    SELECT r.name, COALESCE(ts."tagCount", 0) AS "tagCount", COALESCE(ts."updatedAt", ms."createdAt") AS "updatedAt", s.size, s.unmeasured, COUNT(*) OVER () AS total
    FROM "Repository" r
      JOIN manifeststats ms ON ms.rid = r.id
      LEFT JOIN tagstats ts ON ts.rid = r.id
      LEFT JOIN sizes s ON s.rid = r.id
    WHERE (CAST(${needle} AS TEXT) = '' OR r.name LIKE ${pattern} ESCAPE '\\')
      AND ${visible}
    ORDER BY
      CASE WHEN CAST(${sort} AS TEXT) = 'size' THEN COALESCE(s.size, 0) END DESC,
      CASE WHEN CAST(${sort} AS TEXT) = 'updated' THEN COALESCE(ts."updatedAt", ms."createdAt") END DESC,
      r.name ASC
    LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`
  // a page past the end has no rows to carry the total: count once more (rare)
  const total: number = rows.length ? Number(rows[0].total) : page > 1 ? (await listRepositories(services, scope, q, 1, 1, sort)).total : 0
  return {
    repositories: rows.map((r) => ({
      name: r.name,
      tagCount: Number(r.tagCount),
      updatedAt: dateOf(r.updatedAt),
      size: num(r.size) ?? 0,
      sizeComplete: !Number(r.unmeasured ?? 0),
    })),
    page,
    pageSize,
    sort,
    total,
  }
}

type LayerRow = { digest: string; position: number; packedSize: bigint | null; blob: { size: bigint; uncompressedSize: bigint | null; compressedSize: bigint | null; analysisState: string; sourceDigest: string | null } }

/** Where the background measurement of a layer stands ("skipped": a layer type nothing is measured for). */
function analysisStateOf(state: string): SizeSummary['compressedState'] {
  if (state === 'failed') return 'failed'
  return state === 'pending' || state === 'running' ? 'pending' : 'done'
}

/** Sum of a size over all layers, or null while any layer's is unknown. */
function total(layers: LayerRow[], size: (l: LayerRow) => bigint | null): number | null {
  let n = 0
  for (const l of layers) {
    const v = size(l)
    if (v === null) return null
    n += Number(v)
  }
  return n
}

// Imported layers are stored uncompressed (uncompressedSize = size, compressedSize measured); layers
// pushed through the registry API are stored as pushed, usually gzip (compressedSize = size,
// uncompressedSize measured). Either way, a figure not measured yet is null, never a stand-in.
function sizesOf(layers: LayerRow[], packed: bigint | null): SizeSummary {
  const states = layers.map((l) => analysisStateOf(l.blob.analysisState))
  const compressedState = states.includes('failed') ? 'failed' : states.includes('pending') ? 'pending' : 'done'
  return {
    packed: num(packed),
    uncompressed: total(layers, (l) => l.blob.uncompressedSize),
    compressed: compressedState === 'done' ? total(layers, (l) => l.blob.compressedSize) : null,
    compressedState,
  }
}

const layerInclude = {
  where: { role: 'layer' },
  orderBy: { position: 'asc' as const },
  include: { blob: { select: { size: true, uncompressedSize: true, compressedSize: true, analysisState: true, sourceDigest: true } } },
}

export async function findRepository(services: Services, name: string) {
  return services.db.repository.findUnique({ where: { name } })
}

export async function listTags(services: Services, repository: string) {
  const repo = await findRepository(services, repository)
  if (!repo) return null
  const tags = await services.db.tag.findMany({
    where: { repositoryId: repo.id },
    orderBy: { updatedAt: 'desc' },
    include: { manifest: { include: { blobs: layerInclude } } },
  })
  const indexes = await describeIndexes(services, repo.id, tags.map((t) => t.manifest))
  return {
    repository: repo.name,
    tags: tags.map((t) => {
      const index = indexes.get(t.manifest.id)
      return {
        name: t.name,
        digest: t.manifest.digest,
        kind: index ? ('index' as const) : ('image' as const),
        // an index: its platforms, comma-separated
        platform: index ? index.platforms.map((p) => platformString(p.platform)).filter(Boolean).join(', ') || null : platformString(t.manifest),
        platforms: index ? index.platforms.map((p) => platformString(p.platform)) : [platformString(t.manifest)],
        layerCount: index ? index.layerCount : t.manifest.blobs.length,
        sizes: index ? index.sizes : sizesOf(t.manifest.blobs as LayerRow[], t.manifest.packedSize),
        updatedAt: t.updatedAt,
      }
    }),
  }
}

type ManifestRow = { id: number; digest: string; mediaType: string; content: Uint8Array; packedSize: bigint | null }

/** Platforms, per-platform sizes and total sizes of the image indexes among `manifests` (keyed by manifest id). */
async function describeIndexes(services: Services, repositoryId: number, manifests: ManifestRow[]) {
  const parsed = manifests.filter((m) => INDEX_MEDIA_TYPES.has(m.mediaType)).map((m) => ({ m, children: indexChildren(m.content) }))
  const wanted = [...new Set(parsed.flatMap((p) => p.children.map((c) => c.digest)))]
  const rows = wanted.length
    ? await services.db.manifest.findMany({ where: { repositoryId, digest: { in: wanted } }, include: { blobs: layerInclude } })
    : []
  const byDigest = new Map(rows.map((r) => [r.digest, r]))
  const out = new Map<number, ReturnType<typeof indexSummary>>()
  for (const { m, children } of parsed) out.set(m.id, indexSummary(m, children, byDigest))
  return out
}

export type ChildDescriptor = { digest: string; mediaType: string | null; size: number | null; platform: { os: string | null; architecture: string | null; variant: string | null } | null }

/** The manifests an index names, from its stored bytes (pushed indexes keep no rows for them). */
export function indexChildren(content: Uint8Array): ChildDescriptor[] {
  let doc: any
  try {
    doc = JSON.parse(Buffer.from(content).toString('utf8'))
  } catch {
    return []
  }
  if (!Array.isArray(doc?.manifests)) return []
  const s = (v: unknown) => (typeof v === 'string' && v ? v : null)
  return doc.manifests
    .filter((d: any) => typeof d?.digest === 'string')
    .map((d: any) => ({
      digest: d.digest,
      mediaType: s(d.mediaType),
      size: Number.isSafeInteger(d.size) ? d.size : null,
      platform: d.platform && typeof d.platform === 'object' ? { os: s(d.platform.os), architecture: s(d.platform.architecture), variant: s(d.platform.variant) } : null,
    }))
}

type ChildRow = { digest: string; mediaType: string; configDigest: string | null; os: string | null; architecture: string | null; variant: string | null; packedSize: bigint | null; blobs: unknown[] }

function indexSummary(m: ManifestRow, children: ChildDescriptor[], rows: Map<string, ChildRow>) {
  const unique = new Map<string, LayerRow>()
  const platforms = children.map((c) => {
    const row = rows.get(c.digest)
    const layers = (row?.blobs ?? []) as LayerRow[]
    for (const l of layers) unique.set(l.digest, l)
    return {
      digest: c.digest,
      mediaType: row?.mediaType ?? c.mediaType,
      // the index's word on the platform first; the image's config otherwise
      platform: c.platform ?? (row ? { os: row.os, architecture: row.architecture, variant: row.variant } : { os: null, architecture: null, variant: null }),
      available: !!row,
      configDigest: row?.configDigest ?? null,
      layerCount: layers.length,
      sizes: row ? sizesOf(layers, row.packedSize) : null,
    }
  })
  // The total counts a layer shared by several platforms once, as the registry stores it once.
  const all = [...unique.values()]
  return { platforms, layerCount: all.length, sizes: sizesOf(all, m.packedSize) }
}

export async function getTagDetail(services: Services, repository: string, tag: string) {
  const repo = await findRepository(services, repository)
  if (!repo) return null
  const row = await services.db.tag.findUnique({
    where: { repositoryId_name: { repositoryId: repo.id, name: tag } },
    include: { manifest: { include: { blobs: layerInclude } } },
  })
  if (!row) return null
  const history = await services.db.tagEvent.findMany({
    where: { repositoryId: repo.id, tag },
    orderBy: { id: 'desc' },
    take: 50,
  })
  const tagHistory = history.map((h) => ({ digest: h.manifestDigest, action: h.action, source: h.source, at: h.createdAt }))
  const m = row.manifest
  if (INDEX_MEDIA_TYPES.has(m.mediaType)) {
    const index = (await describeIndexes(services, repo.id, [m])).get(m.id)!
    return { kind: 'index' as const, repository: repo.name, tag, digest: m.digest, mediaType: m.mediaType, updatedAt: row.updatedAt, ...index, tagHistory }
  }
  return { kind: 'image' as const, repository: repo.name, tag, ...(await imageDetail(services, m)), updatedAt: row.updatedAt, tagHistory }
}

/** One manifest of a repository by digest (a platform image of an index has no tag): image or index. */
export async function getManifestDetail(services: Services, repository: string, digest: string) {
  const repo = await findRepository(services, repository)
  if (!repo) return null
  const m = await services.db.manifest.findUnique({
    where: { repositoryId_digest: { repositoryId: repo.id, digest } },
    include: { blobs: layerInclude, tags: { select: { name: true }, orderBy: { name: 'asc' } } },
  })
  if (!m) return null
  const tags = m.tags.map((t) => t.name)
  if (INDEX_MEDIA_TYPES.has(m.mediaType)) {
    const index = (await describeIndexes(services, repo.id, [m])).get(m.id)!
    return { kind: 'index' as const, repository: repo.name, digest: m.digest, mediaType: m.mediaType, tags, ...index }
  }
  return { kind: 'image' as const, repository: repo.name, tags, ...(await imageDetail(services, m)) }
}

type ImageRow = ManifestRow & { configDigest: string | null; os: string | null; architecture: string | null; variant: string | null; blobs: unknown[] }

/** What the image page shows of one image manifest: platform, sizes, config, build history, layers. */
async function imageDetail(services: Services, m: ImageRow) {
  const config = m.configDigest ? await readConfig(services, m.configDigest) : null
  const layers = m.blobs as LayerRow[]
  const historyEntries: any[] = Array.isArray(config?.history) ? config.history : []
  const layerHistory = historyEntries.filter((h) => !h?.empty_layer)
  const cfg = config?.config ?? {}
  return {
    digest: m.digest,
    mediaType: m.mediaType,
    configDigest: m.configDigest,
    platform: { os: m.os, architecture: m.architecture, variant: m.variant },
    created: typeof config?.created === 'string' ? (config.created as string) : null,
    sizes: sizesOf(layers, m.packedSize),
    config: {
      entrypoint: cfg.Entrypoint ?? null,
      cmd: cfg.Cmd ?? null,
      env: Array.isArray(cfg.Env) ? cfg.Env : [],
      labels: cfg.Labels && typeof cfg.Labels === 'object' ? cfg.Labels : {},
      workingDir: cfg.WorkingDir || null,
      user: cfg.User || null,
      exposedPorts: cfg.ExposedPorts ? Object.keys(cfg.ExposedPorts) : [],
    },
    history: historyEntries.map((h) => ({
      created: h?.created ?? null,
      createdBy: h?.created_by ?? null,
      comment: h?.comment ?? null,
      emptyLayer: !!h?.empty_layer,
    })),
    layers: layers.map((l, i) => ({
      position: l.position,
      digest: l.digest,
      uncompressedSize: num(l.blob.uncompressedSize),
      compressedSize: num(l.blob.compressedSize),
      packedSize: num(l.packedSize),
      compressedState: analysisStateOf(l.blob.analysisState),
      sourceDigest: l.blob.sourceDigest,
      createdBy: layerHistory[i]?.created_by ?? null,
    })),
  }
}

async function readConfig(services: Services, digest: string): Promise<any> {
  const blob = await services.db.blob.findUnique({ where: { digest } })
  if (!blob || Number(blob.size) > services.limits.maxJsonBytes) return null
  const chunks: Buffer[] = []
  for await (const c of await services.store.read(blob.objectKey)) chunks.push(c as Buffer)
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return null
  }
}

function platformString(m: { os: string | null; architecture: string | null; variant: string | null }) {
  return [m.os, m.architecture, m.variant].filter(Boolean).join('/') || null
}

/**
 * Removes a tag (the manifest and blobs stay for garbage collection); records it in the history.
 * Answers the digest the tag pointed at, or null when there was no such tag.
 */
export async function deleteTag(services: Services, repository: string, tag: string, source: 'console' | 'push' = 'console'): Promise<string | null> {
  return services.db.$transaction(async (tx) => {
    const repo = await tx.repository.findUnique({ where: { name: repository } })
    if (!repo) return null
    const row = await tx.tag.findUnique({
      where: { repositoryId_name: { repositoryId: repo.id, name: tag } },
      include: { manifest: { select: { digest: true } } },
    })
    if (!row) return null
    await tx.tag.delete({ where: { repositoryId_name: { repositoryId: repo.id, name: tag } } })
    await tx.tagEvent.create({ data: { repositoryId: repo.id, tag, manifestDigest: row.manifest.digest, action: 'delete', source } })
    return row.manifest.digest
  })
}

/** getTagDetail for a tag known to name a single image (tests, scripts): fails on an index. */
export async function getImageTagDetail(services: Services, repository: string, tag: string) {
  const detail = await getTagDetail(services, repository, tag)
  if (detail && detail.kind !== 'image') throw new Error(`${repository}:${tag} is a multi-platform image index, not a single image`)
  return detail
}
