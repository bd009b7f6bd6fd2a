// "Untagged since": the one rule garbage collection, retention's untaggedDays and the console's untagged
// images share. A manifest is untagged when no tag points at it and no index of its repository lists it
// (ManifestChild); it is deletable as untagged when, besides, it is no referrer of a subject that exists
// in the repository (a signature or SBOM lives with its image) and it has been untagged since at or before
// the cutoff. Untagged since = its creation, or the last change of any tag that ever pointed at it
// (TagEvent), whichever is later: a manifest untagged yesterday by a tag move is not "old" because it
// was pushed long ago. The cutoff is strict like GC's grace: a change AFTER the cutoff keeps it, one AT
// the cutoff does not. gc-sql.ts states the same rule in SQL for the candidate queries' closure.
import type { Services } from '../services'
import { chunks, yieldToEventLoop } from '../registry/bulk-sql'

type Db = Services['db']

export type UntaggedManifest = { id: number; digest: string; subjectDigest: string | null }

/** No tag points at it, no index of the repository lists it. */
export const untaggedWhere = (repositoryId: number) => ({ repositoryId, tags: { none: {} }, parents: { none: {} } })

/** Untagged and created at or before the cutoff: the candidates the other conditions (filterUntagged) are checked on. */
export const untaggedBeforeWhere = (repositoryId: number, cutoff: Date) => ({ ...untaggedWhere(repositoryId), createdAt: { lte: cutoff } })

/** Every manifest of the repository untagged since at or before the cutoff, in id order, read in batches. */
export async function findUntaggedManifests(db: Db, repositoryId: number, cutoff: Date, batch = 100): Promise<UntaggedManifest[]> {
  const found: UntaggedManifest[] = []
  for (let after = 0; ; ) {
    const rows = await db.manifest.findMany({
      where: { ...untaggedBeforeWhere(repositoryId, cutoff), id: { gt: after } },
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

/** Of rows already known to match untaggedBeforeWhere, those that are no live referrer and whose tags did not change after the cutoff. */
export async function filterUntagged<T extends UntaggedManifest>(db: Db, repositoryId: number, rows: T[], cutoff: Date): Promise<T[]> {
  if (!rows.length) return rows
  const subjects = [...new Set(rows.flatMap((r) => (r.subjectDigest ? [r.subjectDigest] : [])))]
  const liveSubjects = new Set<string>()
  for (const part of chunks(subjects)) {
    for (const s of await db.manifest.findMany({ where: { repositoryId, digest: { in: part } }, select: { digest: true } })) liveSubjects.add(s.digest)
  }
  const recent = await retaggedAfter(db, repositoryId, rows.map((r) => r.digest), cutoff)
  return rows.filter((r) => !(r.subjectDigest && liveSubjects.has(r.subjectDigest)) && !recent.has(r.digest))
}

/** Digests one of whose tags (a tag that ever pointed at it) changed after the cutoff. */
async function retaggedAfter(db: Db, repositoryId: number, digests: string[], cutoff: Date): Promise<Set<string>> {
  const out = new Set<string>()
  for (const part of chunks(digests)) {
    const pairs = await db.tagEvent.groupBy({ by: ['tag', 'manifestDigest'], where: { repositoryId, manifestDigest: { in: part } } })
    const tags = [...new Set(pairs.map((p) => p.tag))]
    const changed = new Set<string>()
    for (const names of chunks(tags)) {
      const rows = await db.tagEvent.groupBy({ by: ['tag'], where: { repositoryId, tag: { in: names }, createdAt: { gt: cutoff } } })
      for (const r of rows) changed.add(r.tag)
    }
    for (const p of pairs) if (changed.has(p.tag)) out.add(p.manifestDigest)
  }
  return out
}
