// A large catalog generated straight into the database and the bucket (no imports, no pushes): the
// repositories, manifests, tags, blob rows and links the registry would hold, inserted as few big
// statements (each batch one JSON parameter the database unpacks), plus the image configs and layers
// in the bucket. Used by bench/catalog.ts (10,000 repositories, 100,000 tags) and by the paging tests
// (a few thousand rows). Deterministic: the same options give the same names, times and sizes.
import { createHash } from 'node:crypto'
import type { Services } from '../lib/services'
import { isPostgres, yieldToEventLoop } from '../lib/registry/bulk-sql'
import { newObjectKey } from '../lib/registry/staging'

export type CatalogShape = {
  /** repositories with tags (each holds `tagsPerRepository` tags) */
  repositories: number
  tagsPerRepository: number
  /** one more repository, `big/many-tags`, with this many tags (0: none) */
  bigRepositoryTags: number
  /** repositories whose manifests are all untagged (listed, 0 tags) */
  untaggedRepositories: number
  /** repositories without any manifest (not listed) */
  emptyRepositories: number
  /** distinct layer blobs shared by all images */
  layerPool: number
}

export type GeneratedCatalog = {
  /** every listed repository name */
  listed: string[]
  /** the big repository's tag names */
  bigTags: string[]
  /** repository name -> tag names, for the repositories with tags */
  tagsOf: Map<string, string[]>
  /** repository name -> expected size (uncompressed bytes of its distinct tagged layers) */
  sizeOf: Map<string, number>
  /** repository name -> its last update (newest tag) */
  updatedOf: Map<string, Date>
  configDigests: string[]
}

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json'
const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json'
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar'
const ROWS_PER_STATEMENT = 2000
const BASE_TIME = Date.UTC(2026, 0, 1)

const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex')
// separators cycle so byte order (". < / < _ < -"-style cases) is exercised by every listing
const SEPARATORS = ['-', '.', '_', '/']

export function repositoryName(i: number) {
  return `org-${i % 97}/app${SEPARATORS[i % SEPARATORS.length]}${i}`
}

type Col = [name: string, type: 'int' | 'bigint' | 'text' | 'timestamp' | 'bytes' | 'bool']

/** INSERT … SELECT from one JSON array parameter per batch; yields between batches. */
async function bulkInsert(db: Services['db'], table: string, columns: Col[], rows: unknown[][]) {
  const pg = isPostgres(db)
  const pgCast: Record<Col[1], (e: string) => string> = {
    int: (e) => `(${e})::integer`,
    bigint: (e) => `(${e})::bigint`,
    text: (e) => e,
    timestamp: (e) => `(${e})::timestamp(3)`,
    bytes: (e) => `convert_to(${e}, 'UTF8')`,
    bool: (e) => `(${e})::boolean`,
  }
  const select = pg
    ? `SELECT ${columns.map(([, t], i) => pgCast[t](`r->>${i}`)).join(', ')} FROM json_array_elements($1::json) AS r`
    : `SELECT ${columns.map(([, t], i) => (t === 'bytes' ? `CAST(json_extract(value, '$[${i}]') AS BLOB)` : `json_extract(value, '$[${i}]')`)).join(', ')} FROM json_each(?)`
  const sql = `INSERT INTO "${table}" (${columns.map(([c]) => `"${c}"`).join(', ')}) ${select}`
  const value = (v: unknown, t: Col[1]) => (v instanceof Date ? (pg ? v.toISOString() : v.toISOString().replace('Z', '+00:00')) : t === 'bool' && !pg ? (v ? 1 : 0) : v)
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const part = rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => r.map((v, c) => value(v, columns[c][1])))
    await db.$executeRawUnsafe(sql, JSON.stringify(part))
    await yieldToEventLoop()
  }
}

async function nextId(db: Services['db'], table: string): Promise<number> {
  const [row] = await db.$queryRawUnsafe<{ id: number | bigint | null }[]>(`SELECT MAX(id) AS id FROM "${table}"`)
  return Number(row?.id ?? 0) + 1
}

/** PostgreSQL: explicit ids do not move the sequence; move it past them so later inserts do not collide. */
async function syncSequence(db: Services['db'], table: string) {
  if (isPostgres(db)) await db.$executeRawUnsafe(`SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), (SELECT MAX(id) FROM "${table}"))`)
}

export async function generateCatalog(services: Services, shape: CatalogShape): Promise<GeneratedCatalog> {
  const { db, store } = services

  // blobs: a few image configs (in the bucket: the image page reads them) and a pool of small layers
  const configDigests: string[] = []
  const blobRows: unknown[][] = []
  for (let c = 0; c < 8; c++) {
    const body = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: new Date(BASE_TIME).toISOString(), config: { Cmd: ['/app', String(c)], Env: ['PATH=/usr/bin'] }, rootfs: { type: 'layers', diff_ids: [] }, history: [{ created_by: `bench config ${c}` }] }))
    const digest = sha256(body)
    const key = newObjectKey()
    await store.write(key, body)
    configDigests.push(digest)
    blobRows.push([digest, key, body.length, CONFIG_TYPE, null, null, 'skipped', new Date(BASE_TIME)])
  }
  const layers: { digest: string; size: number }[] = []
  for (let l = 0; l < shape.layerPool; l++) {
    const body = Buffer.from(`catalog bench layer ${l} `.repeat(8))
    const digest = sha256(body)
    const key = newObjectKey()
    await store.write(key, body)
    const size = 1000 * (l + 1) // the registry's figure for it (uncompressed), distinct per layer
    layers.push({ digest, size })
    blobRows.push([digest, key, body.length, LAYER_TYPE, size, size, 'done', new Date(BASE_TIME)])
  }
  await bulkInsert(db, 'Blob', [['digest', 'text'], ['objectKey', 'text'], ['size', 'bigint'], ['mediaType', 'text'], ['uncompressedSize', 'bigint'], ['compressedSize', 'bigint'], ['analysisState', 'text'], ['createdAt', 'timestamp']], blobRows)

  const sizeByDigest = new Map(layers.map((l) => [l.digest, l.size]))
  type Repo = { id: number; name: string; tags: number; untagged: boolean }
  const repos: Repo[] = []
  let repoId = await nextId(db, 'Repository')
  for (let i = 0; i < shape.repositories; i++) repos.push({ id: repoId++, name: repositoryName(i), tags: shape.tagsPerRepository, untagged: false })
  if (shape.bigRepositoryTags) repos.push({ id: repoId++, name: 'big/many-tags', tags: shape.bigRepositoryTags, untagged: false })
  for (let i = 0; i < shape.untaggedRepositories; i++) repos.push({ id: repoId++, name: `untagged/only-${i}`, tags: 2, untagged: true })
  const empty = Array.from({ length: shape.emptyRepositories }, (_, i) => ({ id: repoId++, name: `empty/none-${i}` }))
  await bulkInsert(db, 'Repository', [['id', 'int'], ['name', 'text'], ['public', 'bool'], ['createdAt', 'timestamp']], [...repos, ...empty].map((r) => [r.id, r.name, false, new Date(BASE_TIME)]))
  await syncSequence(db, 'Repository')

  const out: GeneratedCatalog = { listed: repos.map((r) => r.name), bigTags: [], tagsOf: new Map(), sizeOf: new Map(), updatedOf: new Map(), configDigests }
  let manifestId = await nextId(db, 'Manifest')
  let manifests: unknown[][] = []
  let refs: unknown[][] = []
  let tags: unknown[][] = []
  let links: unknown[][] = []
  const flush = async (force: boolean) => {
    if (!force && tags.length + manifests.length < 20_000) return
    await bulkInsert(db, 'Manifest', [['id', 'int'], ['repositoryId', 'int'], ['digest', 'text'], ['mediaType', 'text'], ['content', 'bytes'], ['configDigest', 'text'], ['os', 'text'], ['architecture', 'text'], ['createdAt', 'timestamp']], manifests)
    await bulkInsert(db, 'ManifestBlob', [['manifestId', 'int'], ['position', 'int'], ['digest', 'text'], ['role', 'text']], refs)
    await bulkInsert(db, 'Tag', [['repositoryId', 'int'], ['name', 'text'], ['manifestId', 'int'], ['updatedAt', 'timestamp']], tags)
    await bulkInsert(db, 'RepositoryBlob', [['repositoryId', 'int'], ['digest', 'text'], ['createdAt', 'timestamp'], ['touchedAt', 'timestamp']], links)
    manifests = []
    refs = []
    tags = []
    links = []
  }
  for (const [r, repo] of repos.entries()) {
    // about two tags per image; each image: a config and two layers of the pool
    const images = Math.max(1, Math.ceil(repo.tags / 2))
    const ids: number[] = []
    const used = new Set<string>()
    for (let m = 0; m < images; m++) {
      const config = configDigests[(r + m) % configDigests.length]
      const ls = [layers[(r * 7 + m) % layers.length], layers[(r * 13 + m * 3 + 1) % layers.length]]
      const content = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPE, config: { mediaType: CONFIG_TYPE, digest: config, size: 200 }, layers: ls.map((l) => ({ mediaType: LAYER_TYPE, digest: l.digest, size: l.size })), annotations: { 'bench.image': `${repo.name}#${m}` } })
      const id = manifestId++
      ids.push(id)
      manifests.push([id, repo.id, sha256(content), MANIFEST_TYPE, content, config, 'linux', 'amd64', new Date(BASE_TIME + (r * 1000 + m) * 1000)])
      refs.push([id, -1, config, 'config'], ...ls.map((l, p) => [id, p, l.digest, 'layer']))
      for (const d of [config, ...ls.map((l) => l.digest)]) used.add(d)
    }
    for (const d of used) links.push([repo.id, d, new Date(BASE_TIME), new Date(BASE_TIME)])
    if (!repo.untagged) {
      const names: string[] = []
      let newest = 0
      for (let t = 0; t < repo.tags; t++) {
        // tag names in several shapes (digits sort as text, "-" and "." and "_" in between)
        const name = t % 3 === 0 ? `v${t}` : t % 3 === 1 ? `1.${t}-rc_${t % 10}` : `release-${t}`
        // every tag an update time of its own (a stable "newest first" order)
        const at = BASE_TIME + (r * 100_000 + t) * 1000 + ((t * 7919) % 997)
        newest = Math.max(newest, at)
        names.push(name)
        tags.push([repo.id, name, ids[t % images], new Date(at)])
      }
      out.tagsOf.set(repo.name, names)
      out.updatedOf.set(repo.name, new Date(newest))
      if (repo.name === 'big/many-tags') out.bigTags = names
      // tagged images are ids[0 .. min(tags, images)): their layers
      const sized = new Set<string>()
      for (let m = 0; m < Math.min(images, repo.tags); m++) {
        sized.add(layers[(r * 7 + m) % layers.length].digest)
        sized.add(layers[(r * 13 + m * 3 + 1) % layers.length].digest)
      }
      out.sizeOf.set(repo.name, [...sized].reduce((n, d) => n + sizeByDigest.get(d)!, 0))
    } else out.sizeOf.set(repo.name, 0)
    await flush(false)
  }
  await flush(true)
  await syncSequence(db, 'Manifest')
  return out
}
