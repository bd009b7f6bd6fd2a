// One manifest of a repository by digest, for the console's image-by-digest page (an earlier image of
// a tag, say): what it is, its layers' sizes, and which tags point at it now.
import type { Services } from '../services'

export async function getImageByDigest(services: Services, repository: string, digest: string) {
  const repo = await services.db.repository.findUnique({ where: { name: repository }, select: { id: true, name: true } })
  if (!repo) return { found: false as const, reason: 'REPOSITORY_NOT_FOUND' as const }
  const m = await services.db.manifest.findUnique({
    where: { repositoryId_digest: { repositoryId: repo.id, digest } },
    include: {
      tags: { select: { name: true }, orderBy: { name: 'asc' } },
      blobs: { where: { role: 'layer' }, orderBy: { position: 'asc' }, include: { blob: { select: { uncompressedSize: true } } } },
    },
  })
  if (!m) return { found: false as const, reason: 'MANIFEST_NOT_FOUND' as const }
  const sizes = m.blobs.map((b) => b.blob.uncompressedSize)
  return {
    found: true as const,
    repository: repo.name,
    digest: m.digest,
    mediaType: m.mediaType,
    platform: [m.os, m.architecture, m.variant].filter(Boolean).join('/') || null,
    createdAt: m.createdAt,
    layerCount: m.blobs.length,
    // null while a pushed layer's uncompressed size is still being measured
    uncompressed: sizes.some((s) => s === null) ? null : sizes.reduce((n, s) => n + Number(s), 0),
    packed: m.packedSize === null ? null : Number(m.packedSize),
    tags: m.tags.map((t) => t.name),
  }
}
