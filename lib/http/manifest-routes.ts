// Console API: DELETE /api/repositories/{name}/manifests/{digest}, an image deleted for good. The
// manifest and its tags go at once (unpullable by tag and by digest); its bytes go at the next garbage
// collection. A manifest an index of the repository still lists is refused (409, naming the index):
// deleting it would break a platform of that multi-platform image.
import type { ApiRoute } from './api-routes'
import { allow } from './api-routes'
import { ApiError, sendJson } from './respond'
import { decodePathSegment } from './request-params'
import { limitWrites } from '../limits/limit-writes'
import { organizationOf } from '../auth/account-names'
import { recordAudit } from '../audit/audit-log'
import { findRepositoryId } from '../oci/blob-links'
import { deleteManifest } from '../oci/manifest-store'

export const manifestRoutes: ApiRoute[] = [
  {
    method: 'DELETE',
    pattern: /^\/api\/repositories\/(.+?)\/manifests\/(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/,
    sample: `/api/repositories/REPO/manifests/sha256:${'0'.repeat(64)}`,
    audience: 'push',
    async handle(ctx, m) {
      const repository = decodePathSegment(m[1], 'repository name')
      const digest = m[2]
      const actor = await allow(ctx, 'delete', { kind: 'repository', name: repository })
      await limitWrites(ctx, organizationOf(repository))
      const repositoryId = await findRepositoryId(ctx.services, repository)
      const outcome = repositoryId === null ? { deleted: false as const } : await deleteManifest(ctx.services, repositoryId, digest, { listed: 'refuse', source: 'console' })
      if (!outcome.deleted && outcome.listedBy) {
        throw new ApiError(409, 'MANIFEST_IN_INDEX', `${repository}@${digest} is listed by the image index ${outcome.listedBy}; delete that index first`, {
          index: outcome.listedBy,
        })
      }
      if (!outcome.deleted) throw new ApiError(404, 'MANIFEST_NOT_FOUND', `${repository}@${digest} does not exist`)
      await recordAudit(ctx.services, ctx.req, {
        action: 'manifest.delete',
        actor,
        organization: organizationOf(repository),
        target: `${repository}@${digest}`,
        detail: { via: 'console', tags: outcome.tags },
      })
      sendJson(ctx.res, 200, { deleted: digest, tags: outcome.tags })
    },
  },
]
