// The deletes of a retention run, each conditional on what was evaluated: a tag is deleted only while it
// still points at the manifest the plan saw, a manifest only while it is still untagged, unlisted, not a
// live referrer and old enough. A concurrent push therefore wins over retention; retention skips.
// Deleting removes rows only: garbage collection frees the bytes later.
import type { Services } from '../services'
import { Prisma } from '../db/generated/sqlite/client'
import { isPostgres } from '../registry/bulk-sql'
import { lockRepositories, recordTagEvents } from '../registry/set-tag'
import { transaction } from '../oci/transaction'
import { deleteManifest } from '../gc/delete-rows'
import type { UntaggedManifest } from '../gc/untagged'

export type DoomedTag = { name: string; manifestId: number; digest: string }

/** Deletes the tags (one batch, ≤100) that still point where the plan saw them; answers those deleted. */
export async function deleteTagsIfUnchanged(services: Services, repositoryId: number, tags: DoomedTag[]): Promise<DoomedTag[]> {
  if (!tags.length) return []
  return transaction(services, async (tx) => {
    // the lock every tag writer of the repository takes (PostgreSQL), then the rows themselves, so the
    // rows read below are exactly the rows deleted
    await lockRepositories(tx, [repositoryId])
    const names = tags.map((t) => t.name)
    const current = isPostgres(tx)
      ? await tx.$queryRaw<{ name: string; manifestId: number }[]>`
          SELECT "name", "manifestId" FROM "Tag" WHERE "repositoryId" = ${repositoryId} AND "name" IN (${Prisma.join(names)}) FOR UPDATE`
      : await tx.tag.findMany({ where: { repositoryId, name: { in: names } }, select: { name: true, manifestId: true } })
    const now = new Map(current.map((c) => [c.name, Number(c.manifestId)]))
    const still = tags.filter((t) => now.get(t.name) === t.manifestId)
    if (!still.length) return []
    await tx.tag.deleteMany({ where: { repositoryId, name: { in: still.map((t) => t.name) } } })
    await recordTagEvents(
      tx,
      still.map((t) => ({ repositoryId, tag: t.name, manifestDigest: t.digest, action: 'delete', source: 'retention' })),
      new Date(),
    )
    return still
  })
}

/** Deletes one manifest if it is still untagged since at or before the cutoff (GC's rule and delete); false when it no longer is (or is gone). */
export async function deleteUntaggedManifest(services: Services, repositoryId: number, m: UntaggedManifest, cutoff: Date): Promise<boolean> {
  return (await deleteManifest(services.db, { id: m.id, repositoryId, digest: m.digest }, cutoff)) === 'deleted'
}
