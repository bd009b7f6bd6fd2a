// Makes a verified import visible, all at once, in one database transaction: blobs (adopting staged
// objects or reusing stored ones), the repository, its manifest, its tags and their history.
import type { Services } from '../services'
import type { ImageName } from './names'
import type { Platform } from '../archive/image-layout'
import { MediaType } from './media-types'
import { isUniqueViolation } from '../db/client'
import { setTag, type TagStatus } from './set-tag'

export type CommitBlob = { digest: string; size: number; key: string }
export type CommitLayer = CommitBlob & { sourceDigest: string | null; packedSize: number }

export type CommitImage = {
  names: ImageName[]
  manifest: { bytes: Buffer; digest: string }
  config: CommitBlob
  layers: CommitLayer[]
  platform: Platform
  packedSize: number
}

export type TagResult = {
  repository: string
  tag: string
  digest: string
  status: TagStatus
  previousDigest: string | null
}

export type CommitOutcome = { tags: TagResult[]; adoptedKeys: Set<string> }

const RETRIES = 5

export async function commitImport(services: Services, uploadId: string, images: CommitImage[]): Promise<CommitOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await services.db.$transaction((tx) => commitOnce(tx as any, uploadId, images), { timeout: 120_000, maxWait: 60_000 })
    } catch (e) {
      // A concurrent import created the same blob/repository/tag first: run again, now reusing its rows.
      const retryable = isUniqueViolation(e) || (e as any)?.code === 'P2034'
      if (!retryable || attempt >= RETRIES) throw e
    }
  }
}

async function commitOnce(tx: Services['db'], uploadId: string, images: CommitImage[]): Promise<CommitOutcome> {
  const adoptedKeys = new Set<string>()
  const seen = new Set<string>()
  const ensureBlob = async (b: CommitBlob, kind: 'config' | 'layer', sourceDigest: string | null) => {
    if (seen.has(b.digest)) return
    seen.add(b.digest)
    const existing = await tx.blob.findUnique({ where: { digest: b.digest }, select: { digest: true } })
    if (existing) return
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

  const tags: TagResult[] = []
  for (const image of images) {
    await ensureBlob(image.config, 'config', null)
    for (const l of image.layers) await ensureBlob(l, 'layer', l.sourceDigest)
    const digests = [image.config.digest, ...image.layers.map((l) => l.digest)]

    for (const name of image.names) {
      const repo = await tx.repository.upsert({ where: { name: name.repository }, create: { name: name.repository }, update: {} })
      for (const digest of new Set(digests)) {
        await tx.repositoryBlob.upsert({
          where: { repositoryId_digest: { repositoryId: repo.id, digest } },
          create: { repositoryId: repo.id, digest },
          update: {},
        })
      }
      let manifest = await tx.manifest.findUnique({ where: { repositoryId_digest: { repositoryId: repo.id, digest: image.manifest.digest } } })
      if (!manifest) {
        manifest = await tx.manifest.create({
          data: {
            repositoryId: repo.id,
            digest: image.manifest.digest,
            mediaType: MediaType.ociManifest,
            content: new Uint8Array(image.manifest.bytes),
            configDigest: image.config.digest,
            os: image.platform.os,
            architecture: image.platform.architecture,
            variant: image.platform.variant,
            packedSize: BigInt(image.packedSize),
            uploadId,
            blobs: {
              create: [
                { position: -1, digest: image.config.digest, role: 'config' },
                ...image.layers.map((l, i) => ({ position: i, digest: l.digest, role: 'layer', packedSize: BigInt(l.packedSize) })),
              ],
            },
          },
        })
      }
      const { status, previousDigest } = await setTag(tx, {
        repositoryId: repo.id,
        tag: name.tag,
        manifestId: manifest.id,
        manifestDigest: image.manifest.digest,
        source: 'upload',
        uploadId,
      })
      tags.push({ repository: name.repository, tag: name.tag, digest: image.manifest.digest, status, previousDigest })
    }
  }
  await tx.stagedObject.deleteMany({ where: { objectKey: { in: [...adoptedKeys] } } })
  return { tags, adoptedKeys }
}
