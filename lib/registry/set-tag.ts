// Points tags at manifests and records each change in the tag history: shared by the archive import
// (source "upload") and the registry API push (source "push"). Runs inside the caller's transaction.
//
// Reading a tag's current digest and moving it must be one serialized step, or two concurrent
// uploads both read the same old digest and both report it as "previous" (the history forks).
// SQLite runs one write transaction at a time; PostgreSQL (READ COMMITTED) does not, so there the
// repositories whose tags move are locked first, in id order (no deadlock between two lockers).
// FOR NO KEY UPDATE does not conflict with the KEY SHARE locks that foreign-key checks take, so
// inserting a tag or manifest of a locked repository elsewhere never waits on it.
import type { Services } from '../services'
import { chunks, insertRows, isPostgres, yieldToEventLoop } from './bulk-sql'

export type TagStatus = 'created' | 'updated' | 'unchanged'

export type SetTag = {
  repositoryId: number
  tag: string
  manifestId: number
  manifestDigest: string
  source: 'upload' | 'push' | 'console'
  uploadId?: string | null
}

export type TagMove = { status: TagStatus; previousDigest: string | null }

type Tx = Services['db']

/** Serializes tag moves in these repositories until the transaction ends (PostgreSQL; SQLite already is). */
export async function lockRepositories(tx: Tx, repositoryIds: number[]): Promise<void> {
  if (!isPostgres(tx)) return
  const ids = [...new Set(repositoryIds)].sort((a, b) => a - b)
  for (const part of chunks(ids)) {
    if (!part.every(Number.isSafeInteger)) throw new Error('repository ids must be integers')
    await tx.$queryRawUnsafe(`SELECT "id" FROM "Repository" WHERE "id" IN (${part.join(',')}) ORDER BY "id" FOR NO KEY UPDATE`)
  }
}

/** One change of a tag, as the tag history (TagEvent) records it. */
export type TagEvent = {
  repositoryId: number
  tag: string
  manifestDigest: string
  action: 'set' | 'delete'
  source: SetTag['source'] | 'retention'
  uploadId?: string | null
}

/** Appends tag changes to the history in one statement (the one TagEvent writer); `at` is their time. */
export async function recordTagEvents(tx: Tx, events: TagEvent[], at: Date): Promise<void> {
  await insertRows(
    tx,
    'TagEvent',
    [
      ['repositoryId', 'int'],
      ['tag', 'text'],
      ['manifestDigest', 'text'],
      ['action', 'text'],
      ['source', 'text'],
      ['uploadId', 'text'],
      ['createdAt', 'timestamp'],
    ],
    events.map((e) => [e.repositoryId, e.tag, e.manifestDigest, e.action, e.source, e.uploadId ?? null, at]),
  )
}

export async function setTag(tx: Tx, t: SetTag): Promise<TagMove> {
  return (await setTags(tx, [t]))[0]
}

/**
 * Moves many tags with a handful of statements (the same tag may appear more than once: later
 * moves see the earlier ones). A tag that already points at the manifest is left as it is and
 * adds no history row.
 */
export async function setTags(tx: Tx, moves: SetTag[]): Promise<TagMove[]> {
  if (!moves.length) return []
  await lockRepositories(
    tx,
    moves.map((m) => m.repositoryId),
  )
  const key = (repositoryId: number, tag: string) => `${repositoryId}\u0000${tag}`

  // Current state of every tag named, read after the lock.
  const state = new Map<string, { manifestId: number; digest: string }>()
  const byRepo = new Map<number, Set<string>>()
  for (const m of moves) {
    if (!byRepo.has(m.repositoryId)) byRepo.set(m.repositoryId, new Set())
    byRepo.get(m.repositoryId)!.add(m.tag)
  }
  for (const [repositoryId, names] of byRepo) {
    for (const part of chunks([...names])) {
      const rows = await tx.tag.findMany({
        where: { repositoryId, name: { in: part } },
        select: { name: true, manifestId: true, manifest: { select: { digest: true } } },
      })
      for (const r of rows) state.set(key(repositoryId, r.name), { manifestId: r.manifestId, digest: r.manifest.digest })
      await yieldToEventLoop()
    }
  }
  const existed = new Set(state.keys())

  const results: TagMove[] = []
  const final = new Map<string, SetTag>()
  const events: TagEvent[] = []
  for (const m of moves) {
    const k = key(m.repositoryId, m.tag)
    const current = state.get(k)
    const previousDigest = current?.digest ?? null
    const status: TagStatus = !current ? 'created' : current.digest === m.manifestDigest ? 'unchanged' : 'updated'
    results.push({ status, previousDigest })
    if (status === 'unchanged') continue
    state.set(k, { manifestId: m.manifestId, digest: m.manifestDigest })
    final.set(k, m)
    events.push({ repositoryId: m.repositoryId, tag: m.tag, manifestDigest: m.manifestDigest, action: 'set', source: m.source, uploadId: m.uploadId })
  }

  const now = new Date()
  const created = [...final.entries()].filter(([k]) => !existed.has(k)).map(([, m]) => m)
  await insertRows(
    tx,
    'Tag',
    [
      ['repositoryId', 'int'],
      ['name', 'text'],
      ['manifestId', 'int'],
      ['updatedAt', 'timestamp'],
    ],
    created.map((m) => [m.repositoryId, m.tag, m.manifestId, now]),
  )
  // Existing tags that move: one statement per (repository, new manifest).
  const updates = new Map<string, { repositoryId: number; manifestId: number; names: string[] }>()
  for (const [k, m] of final) {
    if (!existed.has(k)) continue
    const g = `${m.repositoryId}:${m.manifestId}`
    if (!updates.has(g)) updates.set(g, { repositoryId: m.repositoryId, manifestId: m.manifestId, names: [] })
    updates.get(g)!.names.push(m.tag)
  }
  for (const u of updates.values()) {
    for (const part of chunks(u.names)) {
      await tx.tag.updateMany({ where: { repositoryId: u.repositoryId, name: { in: part } }, data: { manifestId: u.manifestId, updatedAt: now } })
    }
  }
  await recordTagEvents(tx, events, now)
  return results
}
