// Which blobs a repository may serve. A blob is stored once (Blob: digest -> object key) and linked to
// every repository that received it (RepositoryBlob), by import, push or cross-repository mount.
import type { Services } from '../services'
import { transaction } from './transaction'
import { enforceQuotas } from '../accounts/quotas'

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

/** Links a stored blob into a repository (creating the repository); used by cross-repository mounts. */
export async function linkBlob(services: Services, repository: string, digest: string) {
  await transaction(services, async (tx) => {
    const blob = await tx.blob.findUnique({ where: { digest }, select: { size: true, uncompressedSize: true } })
    if (blob) await enforceQuotas(tx, { tags: [], blobs: [{ repository, digest, size: Number(blob.uncompressedSize ?? blob.size) }] })
    const repo = await tx.repository.upsert({ where: { name: repository }, create: { name: repository }, update: {} })
    await tx.repositoryBlob.upsert({
      where: { repositoryId_digest: { repositoryId: repo.id, digest } },
      create: { repositoryId: repo.id, digest },
      update: {},
    })
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
    // a pushed layer's uncompressed size is measured later: its pushed size counts until then
    await enforceQuotas(tx, { tags: [], blobs: [{ repository: b.repository, digest: b.digest, size: b.size }] })
    const repo = await tx.repository.upsert({ where: { name: b.repository }, create: { name: b.repository }, update: {} })
    const existing = await tx.blob.findUnique({ where: { digest: b.digest }, select: { digest: true } })
    if (!existing) {
      // The media type is only known once a manifest references the blob (see recordBlobMediaTypes);
      // until then there is nothing to analyse.
      await tx.blob.create({ data: { digest: b.digest, objectKey: b.objectKey, size: BigInt(b.size), analysisState: 'skipped' } })
      await tx.stagedObject.deleteMany({ where: { objectKey: b.objectKey } })
    }
    await tx.repositoryBlob.upsert({
      where: { repositoryId_digest: { repositoryId: repo.id, digest: b.digest } },
      create: { repositoryId: repo.id, digest: b.digest },
      update: {},
    })
    await tx.blobUploadSession.deleteMany({ where: { id: b.sessionId } })
    return !existing
  })
}
