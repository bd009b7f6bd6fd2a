// The deletions of a real run, one row per transaction (row-locks.ts). Each re-checks the DIRECT rule of
// DESIGN-11 (not the closure of the candidate query): a manifest whose index or subject still exists is
// kept until that one is gone (the manifests step repeats its pass for that), and the foreign keys
// (Tag, ManifestChild.child, ManifestBlob, RepositoryBlob: RESTRICT) are the last guard.
import { lockRepositories } from '../registry/set-tag'
import type { Services } from '../services'
import { deleteInTransaction, lockRow, type Tx } from './row-locks'
import type { BlobCandidate, LinkCandidate, ManifestCandidate, RepositoryCandidate } from './candidates'

type Db = Services['db']

/** Untagged since within the grace: created then, or a tag that ever pointed at it changed then. */
async function manifestInGrace(tx: Tx, m: { repositoryId: number; digest: string; createdAt: Date }, cutoff: Date): Promise<boolean> {
  if (m.createdAt >= cutoff) return true
  const tags = await tx.tagEvent.findMany({ where: { repositoryId: m.repositoryId, manifestDigest: m.digest }, select: { tag: true }, distinct: ['tag'] })
  if (!tags.length) return false
  const recent = await tx.tagEvent.findFirst({ where: { repositoryId: m.repositoryId, tag: { in: tags.map((t) => t.tag) }, createdAt: { gte: cutoff } }, select: { id: true } })
  return recent !== null
}

export function deleteManifest(db: Db, c: ManifestCandidate, cutoff: Date) {
  return deleteInTransaction(db, async (tx) => {
    await lockRepositories(tx, [c.repositoryId])
    await lockRow(tx, 'Manifest', 'id', c.id)
    const m = await tx.manifest.findUnique({ where: { id: c.id }, select: { repositoryId: true, digest: true, createdAt: true, subjectDigest: true } })
    if (!m) return false
    if (await tx.tag.findFirst({ where: { manifestId: c.id }, select: { name: true } })) return false
    if (await tx.manifestChild.findFirst({ where: { childId: c.id }, select: { parentId: true } })) return false
    if (m.subjectDigest && (await tx.manifest.findUnique({ where: { repositoryId_digest: { repositoryId: m.repositoryId, digest: m.subjectDigest } }, select: { id: true } }))) return false
    if (await manifestInGrace(tx, m, cutoff)) return false
    await tx.manifest.delete({ where: { id: c.id } }) // cascades its ManifestBlob rows and its ManifestChild rows as parent
    return true
  })
}

export function deleteLink(db: Db, c: LinkCandidate, cutoff: Date) {
  return deleteInTransaction(db, async (tx) => {
    await lockRepositories(tx, [c.repositoryId])
    const key = { repositoryId_digest: { repositoryId: c.repositoryId, digest: c.digest } }
    const link = await tx.repositoryBlob.findUnique({ where: key, select: { touchedAt: true } })
    if (!link || link.touchedAt >= cutoff) return false
    if (await tx.manifestBlob.findFirst({ where: { digest: c.digest, manifest: { repositoryId: c.repositoryId } }, select: { manifestId: true } })) return false
    await tx.repositoryBlob.delete({ where: key })
    return true
  })
}

/** Deletes the Blob row and records its object in ObjectTombstone in the same transaction; the bucket delete comes after the commit. */
export function deleteBlobRow(db: Db, c: BlobCandidate, cutoff: Date) {
  return deleteInTransaction(db, async (tx) => {
    await lockRow(tx, 'Blob', 'digest', c.digest)
    const blob = await tx.blob.findUnique({ where: { digest: c.digest }, select: { objectKey: true, size: true, createdAt: true } })
    if (!blob || blob.createdAt >= cutoff) return false
    if (await tx.repositoryBlob.findFirst({ where: { digest: c.digest }, select: { repositoryId: true } })) return false
    if (await tx.manifestBlob.findFirst({ where: { digest: c.digest }, select: { manifestId: true } })) return false
    await tx.blob.delete({ where: { digest: c.digest } })
    await tx.objectTombstone.upsert({ where: { objectKey: blob.objectKey }, create: { objectKey: blob.objectKey, size: blob.size }, update: {} })
    return true
  })
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
