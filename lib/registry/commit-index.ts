// Makes an imported multi-platform image visible in one transaction: its platform images (untagged
// manifests, blobs adopted from staging or reused), the image index over them, and the tag(s) naming
// the index. Runs beside commit-import.ts (which commits single images) and shares its rules.
import type { Services } from '../services'
import type { ImageName } from './names'
import type { CommitBlob, CommitImage, TagResult } from './commit-import'
import { MediaType } from './media-types'
import { isRetryableConflict } from '../db/retryable'
import { shareBlob } from '../db/row-locks'
import { lockRepositories, setTag } from './set-tag'
import { insertChildLinks } from './manifest-children'
import { confirmUploadForCommit } from '../lifecycle/upload-lease'
import { enforceQuotas } from '../accounts/quotas'
import { verifyImportObjects } from './verify-objects'

export type CommitIndexChild = CommitImage & { manifestMediaType: string }

export type CommitIndex = {
  names: ImageName[]
  index: { bytes: Buffer; digest: string; mediaType: string }
  children: CommitIndexChild[]
  /** bytes the whole archive took */
  packedSize: number
}

const RETRIES = 5

export async function commitIndexImport(services: Services, uploadId: string, plan: CommitIndex): Promise<{ tags: TagResult[]; adoptedKeys: Set<string> }> {
  // as commitImport: every object a new row may adopt is there, whole, before the transaction
  await verifyImportObjects(services.store, plan.children.flatMap((c) => [c.config, ...c.layers]))
  for (let attempt = 1; ; attempt++) {
    try {
      return await services.db.$transaction(
        async (tx) => {
          await confirmUploadForCommit(tx as Services['db'], services, uploadId) // not collected meanwhile (lease)
          return commitOnce(tx as Services['db'], uploadId, plan)
        },
        { timeout: 120_000, maxWait: 60_000 },
      )
    } catch (e) {
      // a concurrent import created the same blob/repository/manifest first, or garbage collection
      // deleted a row this one reused: run again (the staged objects are kept until after the commit)
      if (!isRetryableConflict(e) || attempt >= RETRIES) throw e
    }
  }
}

async function commitOnce(tx: Services['db'], uploadId: string, plan: CommitIndex) {
  // Before any write: a refusal leaves nothing (the organization quotas, lib/accounts/quotas.ts).
  const blobsOfIndex = plan.children.flatMap((c) => [c.config, ...c.layers])
  await enforceQuotas(tx, {
    tags: plan.names.map((n) => ({ repository: n.repository, tag: n.tag })),
    blobs: plan.names.flatMap((n) => blobsOfIndex.map((b) => ({ repository: n.repository, digest: b.digest, size: b.size }))),
  })
  const adoptedKeys = new Set<string>()
  const seen = new Set<string>()
  const ensureBlob = async (b: CommitBlob, kind: 'config' | 'layer', sourceDigest: string | null) => {
    if (seen.has(b.digest)) return
    seen.add(b.digest)
    if (await shareBlob(tx, b.digest)) return // reused, locked against garbage collection until the commit
    await tx.blob.create({
      data: {
        digest: b.digest,
        objectKey: b.key,
        size: BigInt(b.size),
        mediaType: kind === 'config' ? MediaType.ociConfig : MediaType.ociLayer,
        uncompressedSize: kind === 'layer' ? BigInt(b.size) : null,
        sourceDigest,
        analysisState: kind === 'layer' ? 'pending' : 'skipped',
      },
    })
    adoptedKeys.add(b.key)
  }
  for (const child of plan.children) {
    await ensureBlob(child.config, 'config', null)
    for (const l of child.layers) await ensureBlob(l, 'layer', l.sourceDigest)
  }
  const digests = new Set(plan.children.flatMap((c) => [c.config.digest, ...c.layers.map((l) => l.digest)]))

  const tags: TagResult[] = []
  for (const name of plan.names) {
    const repo = await tx.repository.upsert({ where: { name: name.repository }, create: { name: name.repository }, update: {} })
    // garbage collection deletes links and manifests of a repository under this same lock
    await lockRepositories(tx, [repo.id])
    const now = new Date()
    for (const digest of digests) {
      await tx.repositoryBlob.upsert({ where: { repositoryId_digest: { repositoryId: repo.id, digest } }, create: { repositoryId: repo.id, digest }, update: { touchedAt: now } })
    }
    const childIds: number[] = []
    for (const child of plan.children) {
      const key = { repositoryId_digest: { repositoryId: repo.id, digest: child.manifest.digest } }
      const stored = await tx.manifest.findUnique({ where: key, select: { id: true } })
      if (stored) {
        childIds.push(stored.id)
        continue
      }
      const created = await tx.manifest.create({
        data: {
          repositoryId: repo.id,
          digest: child.manifest.digest,
          mediaType: child.manifestMediaType,
          content: new Uint8Array(child.manifest.bytes),
          configDigest: child.config.digest,
          os: child.platform.os,
          architecture: child.platform.architecture,
          variant: child.platform.variant,
          packedSize: BigInt(child.packedSize),
          uploadId,
          blobs: {
            create: [
              { position: -1, digest: child.config.digest, role: 'config' },
              ...child.layers.map((l, i) => ({ position: i, digest: l.digest, role: 'layer', packedSize: BigInt(l.packedSize) })),
            ],
          },
        },
        select: { id: true },
      })
      childIds.push(created.id)
    }
    const indexKey = { repositoryId_digest: { repositoryId: repo.id, digest: plan.index.digest } }
    let index = await tx.manifest.findUnique({ where: indexKey, select: { id: true } })
    if (!index) {
      index = await tx.manifest.create({
        data: {
          repositoryId: repo.id,
          digest: plan.index.digest,
          mediaType: plan.index.mediaType,
          content: new Uint8Array(plan.index.bytes),
          packedSize: BigInt(plan.packedSize),
          uploadId,
        },
        select: { id: true },
      })
    }
    // the index keeps its platform images alive (garbage collection, lib/gc)
    await insertChildLinks(tx, index.id, childIds)
    const { status, previousDigest } = await setTag(tx, {
      repositoryId: repo.id,
      tag: name.tag,
      manifestId: index.id,
      manifestDigest: plan.index.digest,
      source: 'upload',
      uploadId,
    })
    tags.push({ repository: name.repository, tag: name.tag, digest: plan.index.digest, status, previousDigest })
  }
  await tx.stagedObject.deleteMany({ where: { objectKey: { in: [...adoptedKeys] } } })
  return { tags, adoptedKeys }
}
