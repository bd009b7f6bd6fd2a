// A repository's untagged images for its console page: manifests no tag points to, no index of the
// repository lists (a platform image is reached through its index) and that refer to no subject (a
// signature or SBOM lives with its image). They stay pullable by digest until
// garbage collection (after the grace period) or retention deletes them, or someone deletes them by digest.
import type { Services } from '../services'
import { untaggedWhere } from '../gc/untagged'

export const UNTAGGED_SHOWN = 50

export type UntaggedImage = { digest: string; mediaType: string; platform: string | null; createdAt: Date }

/** Newest first, at most UNTAGGED_SHOWN; `more` says whether there are others. */
export async function listUntaggedImages(services: Services, repository: string): Promise<{ images: UntaggedImage[]; more: boolean } | null> {
  const repo = await services.db.repository.findUnique({ where: { name: repository }, select: { id: true } })
  if (!repo) return null
  const rows = await services.db.manifest.findMany({
    // untagged by GC's rule (lib/gc/untagged.ts), of any age; referrers are shown with their subject
    where: { ...untaggedWhere(repo.id), subjectDigest: null },
    select: { digest: true, mediaType: true, os: true, architecture: true, variant: true, createdAt: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: UNTAGGED_SHOWN + 1,
  })
  return {
    images: rows.slice(0, UNTAGGED_SHOWN).map((m) => ({
      digest: m.digest,
      mediaType: m.mediaType,
      platform: [m.os, m.architecture, m.variant].filter(Boolean).join('/') || null,
      createdAt: m.createdAt,
    })),
    more: rows.length > UNTAGGED_SHOWN,
  }
}
