// Who may look inside a layer: whoever may read some repository that holds it. A blob belongs to no one
// repository (it is shared by digest), so the question is asked repository by repository, public ones
// first, with the caller resolved once (authorize), then only the policy (decide) for the others.
import type { IncomingMessage } from 'node:http'
import type { Services } from '../services'
import { authorize } from '../http/authorize'
import { decide } from '../auth/policy'

/** repositories asked at most: a blob in more repositories than this is judged on these */
const MAX_REPOSITORIES = 200

export type BlobAccess = { ok: true } | { ok: false; status: 401 | 403 | 404; reason: string }

export async function blobReadAccess(services: Services, req: IncomingMessage, digest: string): Promise<BlobAccess> {
  const links = await services.db.repositoryBlob.findMany({
    where: { digest },
    select: { repository: { select: { name: true, public: true } } },
    take: MAX_REPOSITORIES,
  })
  if (!links.length) return { ok: false, status: 404, reason: `no repository holds the blob ${digest}` }
  const repos = links.map((l) => l.repository).sort((a, b) => Number(b.public) - Number(a.public))
  const first = await authorize(services, req, 'read', { kind: 'repository', name: repos[0].name })
  if (first.allowed) return { ok: true }
  for (const r of repos.slice(1)) {
    if ((await decide(services, first.principal, 'read', { kind: 'repository', name: r.name })).allowed) return { ok: true }
  }
  const status = first.status === 401 ? 401 : 403
  return { ok: false, status, reason: status === 401 ? 'sign in first: no repository you may read holds this blob' : 'no repository you may read holds this blob' }
}
