// Manifests the untaggedDays rule deletes: no tag points at them, no index of the repository lists them
// (ManifestChild), they are not a referrer of a subject that exists in the repository, and they have
// been untagged since before the cutoff. "Untagged since" is the notion garbage collection uses: the
// manifest's creation, or the last change of any tag that ever pointed at it (TagEvent), whichever is
// later, so a manifest untagged yesterday by a tag move is not "old" because it was pushed long ago.
import type { Services } from '../services'
import { chunks, yieldToEventLoop } from '../registry/bulk-sql'

type Db = Services['db']

export type UntaggedManifest = { id: number; digest: string; subjectDigest: string | null }

/** Candidate rows: no tag, no parent index, created before the cutoff (the other conditions are filterUntagged's). */
export const untaggedWhere = (repositoryId: number, cutoff: Date) => ({ repositoryId, createdAt: { lt: cutoff }, tags: { none: {} }, parents: { none: {} } })

/** Every manifest of the repository the rule would delete now, in id order, read in batches. */
export async function findUntaggedManifests(db: Db, repositoryId: number, cutoff: Date, batch = 100): Promise<UntaggedManifest[]> {
  const found: UntaggedManifest[] = []
  for (let after = 0; ; ) {
    const rows = await db.manifest.findMany({
      where: { ...untaggedWhere(repositoryId, cutoff), id: { gt: after } },
      orderBy: { id: 'asc' },
      take: batch,
      select: { id: true, digest: true, subjectDigest: true },
    })
    found.push(...(await filterUntagged(db, repositoryId, rows, cutoff)))
    await yieldToEventLoop()
    if (rows.length < batch) return found
    after = rows[rows.length - 1].id
  }
}

/** Of rows already known to be untagged and unlisted, those that are no live referrer and were untagged before the cutoff. */
export async function filterUntagged<T extends UntaggedManifest>(db: Db, repositoryId: number, rows: T[], cutoff: Date): Promise<T[]> {
  if (!rows.length) return rows
  const subjects = [...new Set(rows.flatMap((r) => (r.subjectDigest ? [r.subjectDigest] : [])))]
  const liveSubjects = new Set<string>()
  for (const part of chunks(subjects)) {
    for (const s of await db.manifest.findMany({ where: { repositoryId, digest: { in: part } }, select: { digest: true } })) liveSubjects.add(s.digest)
  }
  const recent = await recentlyUntagged(db, repositoryId, rows.map((r) => r.digest), cutoff)
  return rows.filter((r) => !(r.subjectDigest && liveSubjects.has(r.subjectDigest)) && !recent.has(r.digest))
}

/** Digests one of whose tags (a tag that ever pointed at it) changed at or after the cutoff. */
async function recentlyUntagged(db: Db, repositoryId: number, digests: string[], cutoff: Date): Promise<Set<string>> {
  const out = new Set<string>()
  for (const part of chunks(digests)) {
    const pairs = await db.tagEvent.groupBy({ by: ['tag', 'manifestDigest'], where: { repositoryId, manifestDigest: { in: part } } })
    const tags = [...new Set(pairs.map((p) => p.tag))]
    const changed = new Set<string>()
    for (const names of chunks(tags)) {
      const rows = await db.tagEvent.groupBy({ by: ['tag'], where: { repositoryId, tag: { in: names }, createdAt: { gte: cutoff } } })
      for (const r of rows) changed.add(r.tag)
    }
    for (const p of pairs) if (changed.has(p.tag)) out.add(p.manifestDigest)
  }
  return out
}
