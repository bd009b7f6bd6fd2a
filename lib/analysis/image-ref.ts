// Which image manifest a console request names: a tag or a digest of a repository, and for a
// multi-platform index the child of `?platform=os/arch[/variant]` (without it: PLATFORM_REQUIRED with the
// platforms there are).
import type { Services } from '../services'
import { INDEX_MEDIA_TYPES } from '../registry/index-manifest'

export type ImageLayer = { position: number; digest: string; mediaType: string | null; uncompressedSize: bigint | null; compressedSize: bigint | null }

export type ImageRef = { reference: string; digest: string; packedSize: bigint | null; layers: ImageLayer[] }

export class ImageRefError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly platforms?: string[],
  ) {
    super(message)
  }
}

const DIGEST = /^sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$/

const platformOf = (m: { os: string | null; architecture: string | null; variant: string | null }) => [m.os, m.architecture, m.variant].filter(Boolean).join('/')

export async function resolveImage(services: Services, repository: string, reference: string, platform: string | null): Promise<ImageRef> {
  const { db } = services
  const repo = await db.repository.findUnique({ where: { name: repository }, select: { id: true } })
  if (!repo) throw new ImageRefError(404, 'REPOSITORY_NOT_FOUND', `repository "${repository}" does not exist`)
  const byDigest = DIGEST.test(reference)
  const found = byDigest
    ? await db.manifest.findUnique({ where: { repositoryId_digest: { repositoryId: repo.id, digest: reference } }, select: { id: true, mediaType: true } })
    : (await db.tag.findUnique({ where: { repositoryId_name: { repositoryId: repo.id, name: reference } }, select: { manifest: { select: { id: true, mediaType: true } } } }))?.manifest
  if (!found) throw new ImageRefError(404, byDigest ? 'MANIFEST_NOT_FOUND' : 'TAG_NOT_FOUND', `${repository}${byDigest ? '@' : ':'}${reference} does not exist`)
  let id = found.id
  if (INDEX_MEDIA_TYPES.has(found.mediaType)) {
    const children = await db.manifestChild.findMany({ where: { parentId: found.id }, select: { child: { select: { id: true, os: true, architecture: true, variant: true } } } })
    const platforms = children.map((c) => platformOf(c.child)).filter(Boolean)
    if (!platform) throw new ImageRefError(400, 'PLATFORM_REQUIRED', `${repository}:${reference} is a multi-platform index: name one with ?platform=`, platforms)
    // "linux/arm64" also picks a child recorded as linux/arm64/v8
    const child = children.find((c) => platformOf(c.child) === platform) ?? children.find((c) => platformOf(c.child).startsWith(platform + '/'))
    if (!child) throw new ImageRefError(404, 'PLATFORM_UNKNOWN', `${repository}:${reference} has no image for ${platform}`, platforms)
    id = child.child.id
  }
  const m = await db.manifest.findUniqueOrThrow({
    where: { id },
    select: {
      digest: true,
      packedSize: true,
      blobs: { where: { role: 'layer' }, orderBy: { position: 'asc' }, select: { position: true, digest: true, blob: { select: { mediaType: true, uncompressedSize: true, compressedSize: true } } } },
    },
  })
  return {
    reference,
    digest: m.digest,
    packedSize: m.packedSize,
    layers: m.blobs.map((b) => ({ position: b.position, digest: b.digest, mediaType: b.blob.mediaType, uncompressedSize: b.blob.uncompressedSize, compressedSize: b.blob.compressedSize })),
  }
}
