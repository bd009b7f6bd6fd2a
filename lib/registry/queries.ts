// Read models for the console: repositories, tags, and one image in detail with its three sizes.
import type { Services } from '../services'
import { INDEX_MEDIA_TYPES } from './index-manifest'
import { Prisma } from '../db/generated/sqlite/client'
import { visibleRepositorySql, type VisibleScope } from '../auth/visibility'
import { chunks } from './bulk-sql'

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

type RepositoryRow = { id: number; name: string; updatedAt: Date | string | number | null }
type StatsRow = { id: number; tagCount: bigint | number; updatedAt: Date | string | number | null }
type SizeRow = { rid: number; size: bigint | number | null; unmeasured: bigint | number | null }

/** A timestamp as the drivers return it from raw SQL (PostgreSQL: Date; SQLite: ISO text or epoch ms). */
const dateOf = (v: Date | string | number | null) => (v === null ? null : v instanceof Date ? v : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v))

// A repository's last update: its newest tag change, or its newest manifest while it has no tags. Two
// index steps per repository (Tag(repositoryId, updatedAt), Manifest(repositoryId, createdAt)).
const UPDATED_AT = Prisma.sql`COALESCE((SELECT MAX(t."updatedAt") FROM "Tag" t WHERE t."repositoryId" = r.id), (SELECT MAX(m."createdAt") FROM "Manifest" m WHERE m."repositoryId" = r.id))`

/**
 * One page of repositories that hold at least one manifest (LISTED_REPOSITORY, lib/oci/listings.ts), filtered by a name fragment and sorted by name
 * (A→Z), last update (newest first) or size (largest first), on SQLite and PostgreSQL.
 * size = uncompressed bytes of the repository's distinct layers that some tag references (directly, or
 * through the images of a tagged index): what its tagged images take in storage, each layer counted once.
 * `sizeComplete` is false while a pushed layer's uncompressed size is still being measured.
 * `scope`: which repositories the caller may see (lib/auth/visibility.ts); the others are not counted either.
 *
 * By name or last update, the page is chosen first and only its repositories are aggregated (tag counts,
 * sizes): the cost follows the page, not the catalog. Sorting by size has no stored size to sort on, so it
 * aggregates every matching repository: fine for hundreds, slow for thousands (see bench/catalog.ts).
 */
export async function listRepositories(services: Services, scope: VisibleScope, q: string, page: number, pageSize = PAGE_SIZE, sort: RepositorySort = 'name') {
  const needle = q.toLowerCase()
  // LIKE with its wildcards escaped: the fragment matches literally anywhere in the name
  const pattern = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  const visible = await visibleRepositorySql(services.db, scope, Prisma.raw('r.name'), Prisma.raw('r.public'))
  // LIMIT 1 inside EXISTS: SQLite 3.51 turns a plain EXISTS into a join and then counts OFFSET in joined
  // rows (one per manifest), so page 2 repeated page 1; with LIMIT 1 it stays a one-row probe
  const listed = Prisma.sql`EXISTS (SELECT 1 FROM "Manifest" m WHERE m."repositoryId" = r.id LIMIT 1)
      AND (CAST(${needle} AS TEXT) = '' OR r.name LIKE ${pattern} ESCAPE '\\')
      AND ${visible}`
  const offset = (page - 1) * pageSize
  const [rows, [{ total }]] = await Promise.all([
    sort === 'size' ? pageBySize(services, listed, pageSize, offset) : pageByNameOrUpdate(services, listed, sort, pageSize, offset),
    services.db.$queryRaw<{ total: bigint | number }[]>`SELECT COUNT(*) AS total FROM "Repository" r WHERE ${listed}`,
  ])
  const ids = rows.map((r) => r.id)
  const [stats, sizes] = await Promise.all([repositoryStats(services, ids), repositorySizes(services, ids)])
  return {
    repositories: rows.map((r) => {
      const s = sizes.get(r.id)
      return {
        name: r.name,
        tagCount: Number(stats.get(r.id)?.tagCount ?? 0),
        updatedAt: dateOf(stats.get(r.id)?.updatedAt ?? r.updatedAt),
        size: num(s?.size) ?? 0,
        sizeComplete: !Number(s?.unmeasured ?? 0),
      }
    }),
    page,
    pageSize,
    sort,
    total: Number(total),
  }
}

/** The page's repositories by name (the name index) or by last update (two index steps per repository). */
function pageByNameOrUpdate(services: Services, listed: Prisma.Sql, sort: 'name' | 'updated', limit: number, offset: number) {
  return sort === 'name'
    ? services.db.$queryRaw<RepositoryRow[]>`SELECT r.id, r.name, NULL AS "updatedAt" FROM "Repository" r WHERE ${listed} ORDER BY r.name ASC LIMIT ${limit} OFFSET ${offset}`
    : services.db.$queryRaw<RepositoryRow[]>`
        SELECT id, name, "updatedAt" FROM (SELECT r.id, r.name, ${UPDATED_AT} AS "updatedAt" FROM "Repository" r WHERE ${listed}) x
        ORDER BY "updatedAt" DESC, name ASC LIMIT ${limit} OFFSET ${offset}`
}

/** The page's repositories by size: every matching repository's size is computed to sort them. */
async function pageBySize(services: Services, listed: Prisma.Sql, limit: number, offset: number) {
  const rows = await services.db.$queryRaw<(RepositoryRow & { size: bigint | number | null })[]>`
    WITH ${sizeCtes(Prisma.sql`SELECT r.id FROM "Repository" r WHERE ${listed}`)}
    SELECT r.id, r.name, NULL AS "updatedAt", COALESCE(s.size, 0) AS size FROM "Repository" r LEFT JOIN sizes s ON s.rid = r.id
    WHERE ${listed}
    ORDER BY COALESCE(s.size, 0) DESC, r.name ASC LIMIT ${limit} OFFSET ${offset}`
  return rows
}

/** Tag count and last update of the page's repositories. */
async function repositoryStats(services: Services, ids: number[]) {
  if (!ids.length) return new Map<number, StatsRow>()
  const rows = await services.db.$queryRaw<StatsRow[]>`
    SELECT r.id, (SELECT COUNT(*) FROM "Tag" t WHERE t."repositoryId" = r.id) AS "tagCount", ${UPDATED_AT} AS "updatedAt"
    FROM "Repository" r WHERE r.id IN (${Prisma.join(ids)})`
  return new Map(rows.map((r) => [Number(r.id), r]))
}

/** Sizes of the page's repositories: their tags' images (and an index's platform images), each layer once. */
async function repositorySizes(services: Services, ids: number[]) {
  if (!ids.length) return new Map<number, SizeRow>()
  const rows = await services.db.$queryRaw<SizeRow[]>`WITH ${sizeCtes(Prisma.sql`SELECT r.id FROM "Repository" r WHERE r.id IN (${Prisma.join(ids)})`)} SELECT rid, size, unmeasured FROM sizes`
  return new Map(rows.map((r) => [Number(r.rid), r]))
}

/** CTEs ending in `sizes (rid, size, unmeasured)` for the repositories whose ids `repositoryIds` selects. */
function sizeCtes(repositoryIds: Prisma.Sql) {
  // CROSS JOIN: SQLite joins in the written order (the page's repositories first, then index steps);
  // with plain JOINs it scanned every Manifest and ManifestBlob row of the catalog. PostgreSQL plans it freely.
  return Prisma.sql`wanted (id) AS (${repositoryIds}), tagged AS (
      SELECT DISTINCT t."repositoryId" AS rid, t."manifestId" AS mid FROM wanted w CROSS JOIN "Tag" t WHERE t."repositoryId" = w.id
    ), images AS (
      SELECT rid, mid FROM tagged
      UNION
      SELECT tg.rid, child.id FROM tagged tg CROSS JOIN "ManifestBlob" ref CROSS JOIN "Manifest" child
      WHERE ref."manifestId" = tg.mid AND ref.role NOT IN ('layer', 'config') AND child."repositoryId" = tg.rid AND child.digest = ref.digest
    ), layers AS (
      SELECT DISTINCT i.rid, mb.digest FROM images i CROSS JOIN "ManifestBlob" mb WHERE mb."manifestId" = i.mid AND mb.role = 'layer'
    ), sizes AS (
      SELECT l.rid, CAST(SUM(b."uncompressedSize") AS BIGINT) AS size, COUNT(*) - COUNT(b."uncompressedSize") AS unmeasured
      FROM layers l CROSS JOIN "Blob" b WHERE b.digest = l.digest GROUP BY l.rid
    )`
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

/** Tags per page of the console's tag list (a repository may hold thousands). */
export const TAG_PAGE_SIZE = 50

/**
 * One page of a repository's tags, newest first (then by name), with what the console shows per tag.
 * Only the page's tags and their manifests are read: the cost follows the page, not the repository.
 */
export async function listTags(services: Services, repository: string, page = 1, pageSize = TAG_PAGE_SIZE) {
  const repo = await findRepository(services, repository)
  if (!repo) return null
  const [tags, total] = await Promise.all([
    services.db.tag.findMany({
      where: { repositoryId: repo.id },
      orderBy: [{ updatedAt: 'desc' }, { name: 'asc' }],
      skip: (page - 1) * pageSize,
      take: pageSize,
      include: { manifest: { include: { blobs: layerInclude } } },
    }),
    services.db.tag.count({ where: { repositoryId: repo.id } }),
  ])
  const indexes = await describeIndexes(services, repo.id, tags.map((t) => t.manifest))
  return {
    repository: repo.name,
    page,
    pageSize,
    total,
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
  // in batches: a page of indexes may name more platform images than an IN list should hold
  const rows = []
  for (const part of chunks(wanted)) rows.push(...(await services.db.manifest.findMany({ where: { repositoryId, digest: { in: part } }, include: { blobs: layerInclude } })))
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
