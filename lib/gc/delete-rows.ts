// The deletions of a real run (row-locks.ts): manifests and repositories one row per transaction, links
// and blob rows one candidate batch (at most 100) per transaction. Each re-checks the DIRECT rule of
// DESIGN-11 (not the closure of the candidate query): a manifest whose index or subject still exists is
// kept until that one is gone (the manifests step repeats its pass for that), and the foreign keys
// (Tag, ManifestChild.child, ManifestBlob, RepositoryBlob: RESTRICT) are the last guard.
import { lockRepositories } from '../registry/set-tag'
import { insertRows } from '../registry/bulk-sql'
import type { Services } from '../services'
import { forgetBlobs, forgetManifest } from '../oci/read-queries'
import { deleteInTransaction, lockRow, lockRows, type Tx } from './row-locks'
import type { BlobCandidate, LinkCandidate, ManifestCandidate, RepositoryCandidate } from './candidates'
import { filterUntagged, untaggedBeforeWhere } from './untagged'

type Db = Services['db']

/**
 * Deletes one manifest if it is still untagged since at or before the cutoff (untagged.ts, re-checked
 * under the locks); garbage collection's manifests step and retention's untaggedDays both delete here.
 */
export function deleteManifest(db: Db, c: Pick<ManifestCandidate, 'id' | 'repositoryId' | 'digest'>, cutoff: Date) {
  return deleteInTransaction(db, async (tx) => {
    await lockRepositories(tx, [c.repositoryId])
    await lockRow(tx, 'Manifest', 'id', c.id)
    // new statements after the locks: on PostgreSQL they see everything committed before them
    const row = await tx.manifest.findFirst({ where: { ...untaggedBeforeWhere(c.repositoryId, cutoff), id: c.id, digest: c.digest }, select: { id: true, digest: true, subjectDigest: true } })
    if (!row || !(await filterUntagged(tx, c.repositoryId, [row], cutoff)).length) return false
    await tx.manifest.delete({ where: { id: c.id } }) // cascades its ManifestBlob rows and its ManifestChild rows as parent
    return true
  }).then((deleted) => {
    if (deleted === 'deleted') forgetManifest(db, c.digest) // this instance's pull cache (lib/oci/read-queries.ts)
    return deleted
  })
}

export function deleteLink(db: Db, c: LinkCandidate, cutoff: Date) {
  return deleteInTransaction(db, async (tx) => (await deleteDeadLinks(tx, [c], cutoff)).length > 0)
}

/** Re-checks links (their repositories locked first) and deletes the dead ones; returns those deleted. */
async function deleteDeadLinks(tx: Tx, links: LinkCandidate[], cutoff: Date): Promise<LinkCandidate[]> {
  const byRepository = new Map<number, LinkCandidate[]>()
  for (const l of links) byRepository.set(l.repositoryId, [...(byRepository.get(l.repositoryId) ?? []), l])
  await lockRepositories(tx, [...byRepository.keys()])
  const deleted: LinkCandidate[] = []
  for (const [repositoryId, candidates] of byRepository) {
    const stale = await tx.repositoryBlob.findMany({ where: { repositoryId, digest: { in: candidates.map((l) => l.digest) }, touchedAt: { lte: cutoff } }, select: { digest: true } })
    if (!stale.length) continue
    const referenced = await tx.manifestBlob.findMany({ where: { digest: { in: stale.map((l) => l.digest) }, manifest: { repositoryId } }, select: { digest: true } })
    const keep = new Set(referenced.map((r) => r.digest))
    const dead = new Set(stale.map((l) => l.digest).filter((d) => !keep.has(d)))
    if (!dead.size) continue
    await tx.repositoryBlob.deleteMany({ where: { repositoryId, digest: { in: [...dead] } } })
    deleted.push(...candidates.filter((l) => dead.has(l.digest)))
  }
  return deleted
}

/**
 * Links of one candidate batch (at most BATCH), in ONE transaction: a transaction per row cost ~10 ms
 * each (a commit, and Prisma's round trips). Returns the links deleted. When the batch loses to a
 * writer (foreign key, deadlock) it is retried row by row, so one busy row does not keep the others.
 */
export async function deleteLinks(db: Db, batch: LinkCandidate[], cutoff: Date): Promise<LinkCandidate[]> {
  let deleted: LinkCandidate[] = []
  const outcome = await deleteInTransaction(db, async (tx) => {
    deleted = await deleteDeadLinks(tx, batch, cutoff)
    return true
  })
  if (outcome === 'deleted') return deleted
  const one: LinkCandidate[] = []
  for (const l of batch) if ((await deleteLink(db, l, cutoff)) === 'deleted') one.push(l)
  return one
}

/** Re-checks blobs under their row locks and deletes the dead ones with their tombstones; returns those deleted. */
async function deleteDeadBlobs(tx: Tx, digests: string[], cutoff: Date): Promise<{ digest: string }[]> {
  await lockRows(tx, 'Blob', 'digest', digests)
  const old = await tx.blob.findMany({ where: { digest: { in: digests }, createdAt: { lte: cutoff } }, select: { digest: true, objectKey: true, size: true } })
  if (!old.length) return []
  const candidates = old.map((b) => b.digest)
  const linked = await tx.repositoryBlob.findMany({ where: { digest: { in: candidates } }, select: { digest: true }, distinct: ['digest'] })
  const used = await tx.manifestBlob.findMany({ where: { digest: { in: candidates } }, select: { digest: true }, distinct: ['digest'] })
  const live = new Set([...linked, ...used].map((r) => r.digest))
  const dead = old.filter((b) => !live.has(b.digest))
  if (!dead.length) return []
  await tx.blob.deleteMany({ where: { digest: { in: dead.map((b) => b.digest) } } })
  // a layer's file index (lib/layers) goes with it: its row now, its object with the blob's
  const indexes = await tx.layerIndex.findMany({ where: { digest: { in: dead.map((b) => b.digest) }, objectKey: { not: null } }, select: { objectKey: true, indexBytes: true } })
  await tx.layerIndex.deleteMany({ where: { digest: { in: dead.map((b) => b.digest) } } })
  // insertRows: Prisma's createMany costs milliseconds of CPU per row (lib/registry/bulk-sql.ts)
  const now = new Date()
  const objects = [...dead.map((b) => [b.objectKey, b.size, now]), ...indexes.map((i) => [i.objectKey!, i.indexBytes ?? 0n, now])]
  await insertRows(tx, 'ObjectTombstone', [['objectKey', 'text'], ['size', 'bigint'], ['createdAt', 'timestamp']], objects)
  return dead
}

export function deleteBlobRow(db: Db, c: BlobCandidate, cutoff: Date) {
  return deleteInTransaction(db, async (tx) => (await deleteDeadBlobs(tx, [c.digest], cutoff)).length > 0).then((outcome) => {
    if (outcome === 'deleted') forgetBlobs(db, [c.digest]) // this instance's pull cache (lib/oci/read-queries.ts)
    return outcome
  })
}

/**
 * Deletes the Blob rows of one candidate batch and records their objects in ObjectTombstone, in ONE
 * transaction; the bucket delete comes after the commit. Row by row when the batch loses to a writer.
 */
export async function deleteBlobRows(db: Db, batch: BlobCandidate[], cutoff: Date): Promise<BlobCandidate[]> {
  let dead = new Set<string>()
  const outcome = await deleteInTransaction(db, async (tx) => {
    dead = new Set((await deleteDeadBlobs(tx, batch.map((b) => b.digest), cutoff)).map((b) => b.digest))
    return true
  })
  if (outcome === 'deleted') {
    forgetBlobs(db, [...dead]) // this instance's pull cache (lib/oci/read-queries.ts)
    return batch.filter((b) => dead.has(b.digest))
  }
  const one: BlobCandidate[] = []
  for (const b of batch) if ((await deleteBlobRow(db, b, cutoff)) === 'deleted') one.push(b)
  return one
}

export function deleteRepository(db: Db, c: RepositoryCandidate) {
  return deleteInTransaction(db, async (tx) => {
    // FOR UPDATE (not the writers' FOR NO KEY UPDATE): it conflicts with the KEY SHARE lock an insert of
    // a tag, manifest or link into this repository takes, so such a writer waits and then retries.
    await lockRow(tx, 'Repository', 'id', c.id)
    const where = { repositoryId: c.id }
    if (await tx.manifest.findFirst({ where, select: { id: true } })) return false
    if (await tx.tag.findFirst({ where, select: { name: true } })) return false
    if (await tx.repositoryBlob.findFirst({ where, select: { digest: true } })) return false
    const { count } = await tx.repository.deleteMany({ where: { id: c.id } }) // its tag history goes with it
    return count > 0
  })
}
