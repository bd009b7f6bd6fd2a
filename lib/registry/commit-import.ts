// Makes a verified import visible, all at once, in one database transaction: blobs (adopting staged
// objects or reusing stored ones), the repository, its manifest, its tags and their history.
import type { Services } from '../services'
import type { ImageName } from './names'
import type { Platform } from '../archive/image-layout'
import { MediaType } from './media-types'
import { isRetryableConflict } from '../db/retryable'
import { shareBlobs } from '../db/row-locks'
import { setTags, lockRepositories, type TagStatus } from './set-tag'
import { chunks, insertRows, yieldToEventLoop, type SqlValue } from './bulk-sql'
import { confirmUploadForCommit } from '../lifecycle/upload-lease'
import { enforceQuotas } from '../accounts/quotas'
import { verifyImportObjects } from './verify-objects'

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
  // Every object a new row may adopt is there, whole; the upload's lease (confirmed in the transaction)
  // then guarantees no other instance's sweep deleted one since (a swept upload fails to commit).
  await verifyImportObjects(services.store, images.flatMap((img) => [img.config, ...img.layers]))
  for (let attempt = 1; ; attempt++) {
    try {
      return await services.db.$transaction(
        async (tx) => {
          await confirmUploadForCommit(tx as any, services, uploadId) // not collected meanwhile (lease): its staged objects exist
          return commitOnce(tx as any, uploadId, images)
        },
        { timeout: 120_000, maxWait: 60_000 },
      )
    } catch (e) {
      // A concurrent import created the same blob/repository/tag first, PostgreSQL broke a deadlock
      // between two imports, or garbage collection deleted a blob this one reused: run again, now
      // reusing the other import's rows or adopting our own staged object (kept until after the commit).
      if (!isRetryableConflict(e) || attempt >= RETRIES) throw e
    }
  }
}

/**
 * A fixed number of statements per kind of row, whatever the number of images, names and layers
 * (rows go in batches of BATCH): an archive naming 100 images x 100 tags costs tens of round trips,
 * not tens of thousands.
 */
async function commitOnce(tx: Services['db'], uploadId: string, images: CommitImage[]): Promise<CommitOutcome> {
  // Before any write: a refusal leaves nothing (the organization quotas, lib/accounts/quotas.ts).
  await enforceQuotas(tx, {
    tags: images.flatMap((img) => img.names.map((n) => ({ repository: n.repository, tag: n.tag }))),
    blobs: images.flatMap((img) => img.names.flatMap((n) => [img.config, ...img.layers].map((b) => ({ repository: n.repository, digest: b.digest, size: b.size })))),
  })
  // Blobs: each distinct digest once, the first occurrence's staged object adopted if the digest is new.
  const blobs = new Map<string, { blob: CommitBlob; kind: 'config' | 'layer'; sourceDigest: string | null }>()
  for (const image of images) {
    if (!blobs.has(image.config.digest)) blobs.set(image.config.digest, { blob: image.config, kind: 'config', sourceDigest: null })
    for (const l of image.layers) if (!blobs.has(l.digest)) blobs.set(l.digest, { blob: l, kind: 'layer', sourceDigest: l.sourceDigest })
  }
  // Stored blobs are reused, locked against garbage collection until the commit (lib/db/row-locks.ts).
  const storedBlobs = await shareBlobs(tx, [...blobs.keys()])
  const newBlobs = [...blobs.values()].filter((b) => !storedBlobs.has(b.blob.digest))
  const now = new Date()
  await insertRows(
    tx,
    'Blob',
    [
      ['digest', 'text'],
      ['objectKey', 'text'],
      ['size', 'bigint'],
      ['mediaType', 'text'],
      ['uncompressedSize', 'bigint'],
      ['sourceDigest', 'text'],
      ['analysisState', 'text'],
      ['createdAt', 'timestamp'],
    ],
    newBlobs.map(({ blob, kind, sourceDigest }) => [
      blob.digest,
      blob.key,
      BigInt(blob.size),
      kind === 'config' ? MediaType.ociConfig : MediaType.ociLayer,
      kind === 'layer' ? BigInt(blob.size) : null,
      sourceDigest,
      kind === 'layer' ? 'pending' : 'skipped',
      now,
    ]),
  )
  const adoptedKeys = new Set(newBlobs.map((b) => b.blob.key))

  // Repositories, created if new, then locked for the tag moves (see set-tag.ts).
  const repoNames = [...new Set(images.flatMap((img) => img.names.map((n) => n.repository)))]
  const repoIds = await repositoryIds(tx, repoNames)
  await lockRepositories(tx, [...repoIds.values()])

  // Which blobs each repository may serve.
  const wanted = new Map<number, Set<string>>()
  for (const image of images) {
    for (const name of image.names) {
      const id = repoIds.get(name.repository)!
      if (!wanted.has(id)) wanted.set(id, new Set())
      const set = wanted.get(id)!
      set.add(image.config.digest)
      for (const l of image.layers) set.add(l.digest)
    }
  }
  const links: { repositoryId: number; digest: string }[] = []
  for (const [repositoryId, digests] of wanted) {
    const have = new Set<string>()
    for (const part of chunks([...digests])) {
      const rows = await tx.repositoryBlob.findMany({ where: { repositoryId, digest: { in: part } }, select: { digest: true } })
      for (const r of rows) have.add(r.digest)
      await yieldToEventLoop()
    }
    for (const digest of digests) if (!have.has(digest)) links.push({ repositoryId, digest })
  }
  await insertRows(
    tx,
    'RepositoryBlob',
    [
      ['repositoryId', 'int'],
      ['digest', 'text'],
      ['createdAt', 'timestamp'],
    ],
    links.map((l) => [l.repositoryId, l.digest, now]),
  )

  // Manifests: one per (repository, image), reused when the repository has it already.
  const manifestIds = new Map<string, number>() // `${repositoryId} ${digest}`
  const mkey = (repositoryId: number, digest: string) => `${repositoryId} ${digest}`
  const needed = new Map<string, { repositoryId: number; image: CommitImage }>()
  for (const image of images) {
    for (const name of image.names) {
      const repositoryId = repoIds.get(name.repository)!
      needed.set(mkey(repositoryId, image.manifest.digest), { repositoryId, image })
    }
  }
  const byRepo = new Map<number, string[]>()
  for (const { repositoryId, image } of needed.values()) {
    if (!byRepo.has(repositoryId)) byRepo.set(repositoryId, [])
    byRepo.get(repositoryId)!.push(image.manifest.digest)
  }
  for (const [repositoryId, digests] of byRepo) {
    for (const part of chunks(digests)) {
      const rows = await tx.manifest.findMany({ where: { repositoryId, digest: { in: part } }, select: { id: true, digest: true } })
      for (const r of rows) manifestIds.set(mkey(repositoryId, r.digest), r.id)
      await yieldToEventLoop()
    }
  }
  const newManifests = [...needed.entries()].filter(([k]) => !manifestIds.has(k)).map(([, v]) => v)
  for (const part of chunks(newManifests, 100)) {
    const rows = await tx.manifest.createManyAndReturn({
      data: part.map(({ repositoryId, image }) => ({
        repositoryId,
        digest: image.manifest.digest,
        mediaType: MediaType.ociManifest,
        content: new Uint8Array(image.manifest.bytes),
        configDigest: image.config.digest,
        os: image.platform.os,
        architecture: image.platform.architecture,
        variant: image.platform.variant,
        packedSize: BigInt(image.packedSize),
        uploadId,
      })),
      select: { id: true, repositoryId: true, digest: true },
    })
    for (const r of rows) manifestIds.set(mkey(r.repositoryId, r.digest), r.id)
    const refs = part.flatMap(({ repositoryId, image }) => {
      const manifestId = manifestIds.get(mkey(repositoryId, image.manifest.digest))!
      return [
        [manifestId, -1, image.config.digest, 'config', null],
        ...image.layers.map((l, i) => [manifestId, i, l.digest, 'layer', BigInt(l.packedSize)]),
      ] as SqlValue[][]
    })
    await insertRows(tx, 'ManifestBlob', [
      ['manifestId', 'int'],
      ['position', 'int'],
      ['digest', 'text'],
      ['role', 'text'],
      ['packedSize', 'bigint'],
    ], refs)
  }

  // Tags and their history, in the order the archive names them.
  const order: { name: ImageName; image: CommitImage }[] = images.flatMap((image) => image.names.map((name) => ({ name, image })))
  const moves = await setTags(
    tx,
    order.map(({ name, image }) => {
      const repositoryId = repoIds.get(name.repository)!
      return {
        repositoryId,
        tag: name.tag,
        manifestId: manifestIds.get(mkey(repositoryId, image.manifest.digest))!,
        manifestDigest: image.manifest.digest,
        source: 'upload' as const,
        uploadId,
      }
    }),
  )
  const tags: TagResult[] = order.map(({ name, image }, i) => ({
    repository: name.repository,
    tag: name.tag,
    digest: image.manifest.digest,
    status: moves[i].status,
    previousDigest: moves[i].previousDigest,
  }))
  for (const part of chunks([...adoptedKeys])) await tx.stagedObject.deleteMany({ where: { objectKey: { in: part } } })
  return { tags, adoptedKeys }
}

/** Ids of these repositories, creating the missing ones. */
async function repositoryIds(tx: Services['db'], names: string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>()
  const find = async (part: string[]) => {
    for (const r of await tx.repository.findMany({ where: { name: { in: part } }, select: { id: true, name: true } })) ids.set(r.name, r.id)
    await yieldToEventLoop()
  }
  for (const part of chunks(names)) await find(part)
  const missing = names.filter((n) => !ids.has(n))
  const now = new Date()
  await insertRows(
    tx,
    'Repository',
    [
      ['name', 'text'],
      ['createdAt', 'timestamp'],
    ],
    missing.map((name) => [name, now]),
  )
  for (const part of chunks(missing)) await find(part)
  return ids
}
