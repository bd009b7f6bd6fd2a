// Which blobs a repository may serve. A blob is stored once (Blob: digest -> object key) and linked to
// every repository that received it (RepositoryBlob), by import, push or cross-repository mount.
import type { Services } from '../services'
import { transaction } from './transaction'
import { OciError } from './errors'
import { enforceQuotas } from '../accounts/quotas'
import { shareBlob } from '../db/row-locks'
import { lockRepositories } from '../registry/set-tag'

export type LinkedBlob = { digest: string; size: number; objectKey: string }

export async function findRepositoryId(services: Services, name: string): Promise<number | null> {
  const repo = await services.db.repository.findUnique({ where: { name }, select: { id: true } })
  return repo?.id ?? null
}

export async function findLinkedBlob(services: Services, repository: string, digest: string): Promise<LinkedBlob | null> {
  const link = await services.db.repositoryBlob.findFirst({
    where: { digest, repository: { name: repository } },
    include: { blob: { select: { size: true, objectKey: true } } },
  })
  return link ? { digest, size: Number(link.blob.size), objectKey: link.blob.objectKey } : null
}

/**
 * Links a stored blob into a repository (creating the repository); used by cross-repository mounts.
 * False when the blob is not stored (any more: garbage collection may have taken it since the caller
 * looked), so the client uploads it instead.
 */
export async function linkBlob(services: Services, repository: string, digest: string): Promise<boolean> {
  return transaction(services, async (tx) => {
    // locked FOR KEY SHARE: garbage collection cannot delete the row before the link is committed
    if (!(await shareBlob(tx, digest))) return false
    const blob = await tx.blob.findUniqueOrThrow({ where: { digest }, select: { size: true, uncompressedSize: true } })
    await enforceQuotas(tx, { tags: [], blobs: [{ repository, digest, size: Number(blob.uncompressedSize ?? blob.size) }] })
    const repo = await tx.repository.upsert({ where: { name: repository }, create: { name: repository }, update: {} })
    await lockRepositories(tx, [repo.id])
    await upsertLink(tx, repo.id, digest)
    return true
  })
}

type Tx = Services['db']

/** Creates the link, or refreshes its touchedAt: a client needs it now (garbage collection's grace counts from here). */
async function upsertLink(tx: Tx, repositoryId: number, digest: string) {
  const now = new Date()
  await tx.repositoryBlob.upsert({
    where: { repositoryId_digest: { repositoryId, digest } },
    create: { repositoryId, digest, createdAt: now, touchedAt: now },
    update: { touchedAt: now },
  })
}

/** How stale a link's touchedAt may get before a HEAD refreshes it: one cheap update a minute, not one per request. */
export const TOUCH_THROTTLE_MS = 60_000

/** The link's touchedAt is older than the throttle: a HEAD should refresh it. */
export const linkIsStale = (touchedAt: Date, now = new Date()) => now.getTime() - touchedAt.getTime() > TOUCH_THROTTLE_MS

/**
 * A client checked that the repository has this blob (docker push: HEAD, then skips the upload, then
 * PUTs the manifest): refresh the link's touchedAt so garbage collection keeps it through that push.
 */
export async function touchLink(services: Services, repository: string, digest: string, now = new Date()): Promise<void> {
  await services.db.repositoryBlob.updateMany({
    where: { digest, repository: { name: repository }, touchedAt: { lt: new Date(now.getTime() - TOUCH_THROTTLE_MS) } },
    data: { touchedAt: now },
  })
}

/**
 * Removes a blob from a repository; the stored bytes stay for other repositories and garbage collection.
 * A blob that a manifest of the repository still references stays linked ("referenced"): removing it
 * would break every pull of that manifest.
 */
export async function unlinkBlob(services: Services, repository: string, digest: string): Promise<'unlinked' | 'unknown' | { referencedBy: string }> {
  const repositoryId = await findRepositoryId(services, repository)
  if (repositoryId === null) return 'unknown'
  return transaction(services, async (tx) => {
    const user = await tx.manifestBlob.findFirst({ where: { digest, manifest: { repositoryId } }, select: { manifest: { select: { digest: true } } } })
    if (user) return { referencedBy: user.manifest.digest }
    const { count } = await tx.repositoryBlob.deleteMany({ where: { repositoryId, digest } })
    return count > 0 ? 'unlinked' : 'unknown'
  })
}

/**
 * Makes a verified pushed blob visible in one transaction: the Blob row adopts the staged object (unless
 * the same content is stored already), the repository links it, the upload session ends. Returns
 * whether the object was adopted (otherwise the caller deletes it).
 */
export async function commitPushedBlob(
  services: Services,
  b: { repository: string; digest: string; size: number; objectKey: string; sessionId: string },
): Promise<boolean> {
  return transaction(services, async (tx) => {
    // the session row first: whoever deletes it owns the session's objects, and an expiry sweep that
    // claimed it (this request's lease ran out) is deleting them now (lib/oci/upload-sweeper.ts)
    const { count } = await tx.blobUploadSession.deleteMany({ where: { id: b.sessionId } })
    if (count !== 1) throw new OciError('BLOB_UPLOAD_UNKNOWN', `upload ${b.sessionId} expired or was cancelled before it was finished; upload the blob again`, { detail: { uuid: b.sessionId } })
    // a pushed layer's uncompressed size is measured later: its pushed size counts until then
    await enforceQuotas(tx, { tags: [], blobs: [{ repository: b.repository, digest: b.digest, size: b.size }] })
    const repo = await tx.repository.upsert({ where: { name: b.repository }, create: { name: b.repository }, update: {} })
    await lockRepositories(tx, [repo.id])
    // Reused rows are locked against garbage collection until the commit; if GC deleted the row after
    // this read anyway (SQLite reads take no lock), the link insert fails with P2003 and transaction()
    // runs this again: the row is created anew from our own object (deleted only after the commit).
    const existing = await shareBlob(tx, b.digest)
    if (!existing) {
      // The media type is only known once a manifest references the blob (see recordBlobMediaTypes);
      // until then there is nothing to analyse.
      await tx.blob.create({ data: { digest: b.digest, objectKey: b.objectKey, size: BigInt(b.size), analysisState: 'skipped' } })
      await tx.stagedObject.deleteMany({ where: { objectKey: b.objectKey } })
    }
    await upsertLink(tx, repo.id, b.digest)
    return !existing
  })
}
