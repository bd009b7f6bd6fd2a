// "Point the tag back here": moves a tag to a manifest the repository already holds (an earlier image
// from the tag's history, say), recorded in the tag history with source "console".
import type { Services } from '../services'
import { lockRepositories, setTag, type TagStatus } from './set-tag'

export type PointTagResult =
  | { ok: true; repository: string; tag: string; digest: string; status: TagStatus; previousDigest: string | null }
  | { ok: false; reason: 'REPOSITORY_NOT_FOUND' | 'MANIFEST_NOT_FOUND' }

export async function pointTagAtDigest(services: Services, repository: string, tag: string, digest: string): Promise<PointTagResult> {
  return services.db.$transaction(async (tx) => {
    const repo = await tx.repository.findUnique({ where: { name: repository }, select: { id: true } })
    if (!repo) return { ok: false, reason: 'REPOSITORY_NOT_FOUND' } as const
    // before reading the manifest: garbage collection deletes untagged manifests under this lock
    await lockRepositories(tx as unknown as Services['db'], [repo.id])
    const manifest = await tx.manifest.findUnique({ where: { repositoryId_digest: { repositoryId: repo.id, digest } }, select: { id: true } })
    if (!manifest) return { ok: false, reason: 'MANIFEST_NOT_FOUND' } as const
    const moved = await setTag(tx as unknown as Services['db'], { repositoryId: repo.id, tag, manifestId: manifest.id, manifestDigest: digest, source: 'console' })
    return { ok: true, repository, tag, digest, ...moved } as const
  })
}
