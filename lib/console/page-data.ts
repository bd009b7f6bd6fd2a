// What the console's server components render first: the same read models the API answers, in the
// API's JSON shapes, or the API's error for a missing repository/tag/image.
import type { Services } from '../services'
import { listRepositories, listTags, getTagDetail, TAG_PAGE_SIZE, type RepositorySort } from '../registry/queries'
import { getImageByDigest } from './image-by-digest'
import { listUntaggedImages } from './untagged-images'
import { consoleServices } from './services'
import { asPlainJson } from './plain-json'
import { visibleScope } from '../auth/visibility'
import { pagePrincipal } from './page-auth'

export type PageFailure = { status: number; code: string; message: string }
export type PageData<T> = { data: T; error: null } | { data: null; error: PageFailure }

const fail = (status: number, code: string, message: string) => ({ data: null, error: { status, code, message } })

async function withServices<T>(load: (s: Services) => Promise<PageData<T>>): Promise<PageData<T>> {
  const services = consoleServices()
  if (!services) return fail(503, 'UNAVAILABLE', 'the console runs without the Stowage server; start it with `npm start`')
  return load(services)
}

/** The repositories the page's caller may read (their organizations' and public ones; administrators: all), as GET /api/repositories lists them. */
export const repositoryListData = (q: string, page: number, pageSize: number, sort: RepositorySort) =>
  withServices(async (s) => {
    const scope = await visibleScope(s, await pagePrincipal(s))
    return { data: asPlainJson(await listRepositories(s, scope, q, page, pageSize, sort)), error: null }
  })

export const tagListData = (repository: string, page = 1, pageSize = TAG_PAGE_SIZE) =>
  withServices(async (s) => {
    const tags = await listTags(s, repository, page, pageSize)
    return tags ? { data: asPlainJson(tags), error: null } : fail(404, 'REPOSITORY_NOT_FOUND', `repository "${repository}" does not exist`)
  })

export const tagDetailData = (repository: string, tag: string) =>
  withServices(async (s) => {
    const detail = await getTagDetail(s, repository, tag)
    if (detail) return { data: asPlainJson(detail), error: null }
    const repo = await s.db.repository.findUnique({ where: { name: repository }, select: { id: true } })
    return repo ? fail(404, 'TAG_NOT_FOUND', `${repository}:${tag} does not exist`) : fail(404, 'REPOSITORY_NOT_FOUND', `repository "${repository}" does not exist`)
  })

export const imageByDigestData = (repository: string, digest: string) =>
  withServices(async (s) => {
    const image = await getImageByDigest(s, repository, digest)
    if (image.found) return { data: asPlainJson(image), error: null }
    return image.reason === 'REPOSITORY_NOT_FOUND'
      ? fail(404, 'REPOSITORY_NOT_FOUND', `repository "${repository}" does not exist`)
      : fail(404, 'MANIFEST_NOT_FOUND', `repository "${repository}" holds no image ${digest}`)
  })

/** Which of these repositories anyone may pull (the "public" badge and the owners' toggle). */
export const publicRepositoryNames = (names: string[]) =>
  withServices(async (s) => {
    if (!names.length) return { data: [] as string[], error: null }
    const rows = await s.db.repository.findMany({ where: { name: { in: names }, public: true }, select: { name: true } })
    return { data: rows.map((r) => r.name), error: null }
  })

/** The repository's images no tag points to (the repository page lists them under its tags). */
export const untaggedImagesData = (repository: string) =>
  withServices(async (s) => {
    const list = await listUntaggedImages(s, repository)
    return list ? { data: asPlainJson(list), error: null } : fail(404, 'REPOSITORY_NOT_FOUND', `repository "${repository}" does not exist`)
  })
