// Points a tag at a manifest and records the change in the tag history: shared by the archive import
// (source "upload") and the registry API push (source "push"). Runs inside the caller's transaction.
import type { Services } from '../services'

export type TagStatus = 'created' | 'updated' | 'unchanged'

export type SetTag = {
  repositoryId: number
  tag: string
  manifestId: number
  manifestDigest: string
  source: 'upload' | 'push' | 'console'
  uploadId?: string | null
}

export async function setTag(tx: Services['db'], t: SetTag): Promise<{ status: TagStatus; previousDigest: string | null }> {
  const key = { repositoryId_name: { repositoryId: t.repositoryId, name: t.tag } }
  const current = await tx.tag.findUnique({ where: key, include: { manifest: { select: { digest: true } } } })
  const previousDigest = current?.manifest.digest ?? null
  const status: TagStatus = !current ? 'created' : previousDigest === t.manifestDigest ? 'unchanged' : 'updated'
  await tx.tag.upsert({
    where: key,
    create: { repositoryId: t.repositoryId, name: t.tag, manifestId: t.manifestId },
    update: { manifestId: t.manifestId, updatedAt: new Date() },
  })
  await tx.tagEvent.create({
    data: { repositoryId: t.repositoryId, tag: t.tag, manifestDigest: t.manifestDigest, action: 'set', source: t.source, uploadId: t.uploadId ?? null },
  })
  return { status, previousDigest }
}
