// Whether anonymous callers may pull a repository (its organization's owners decide).
import type { Services } from '../services'
import { ApiError } from '../http/respond'

export async function setRepositoryPublic(services: Services, repository: string, isPublic: boolean) {
  const row = await services.db.repository.findUnique({ where: { name: repository }, select: { id: true, public: true } })
  if (!row) throw new ApiError(404, 'REPOSITORY_NOT_FOUND', `repository "${repository}" does not exist`)
  if (row.public !== isPublic) await services.db.repository.update({ where: { id: row.id }, data: { public: isPublic } })
  return { name: repository, public: isPublic, previous: row.public }
}
