// Console URLs and the console API's URLs. Repository names contain slashes, so a repository page is
// /repositories/<name...> and an image page /repositories/<name...>/-/tags/<tag>: "-" can never be a
// path component of a repository name, which makes the split unambiguous.

const segments = (name: string) => name.split('/').map(encodeURIComponent).join('/')

export const repositoryHref = (repository: string) => `/repositories/${segments(repository)}`
export const tagHref = (repository: string, tag: string) => `${repositoryHref(repository)}/-/tags/${encodeURIComponent(tag)}`

/** An image by digest: /repositories/<name...>/-/digests/<sha256:... or sha512:...> (e.g. an earlier image of a tag). */
export const digestHref = (repository: string, digest: string, tag?: string) =>
  `${repositoryHref(repository)}/-/digests/${encodeURIComponent(digest)}${tag ? `?tag=${encodeURIComponent(tag)}` : ''}`

/** sha256, or sha512 for manifests pushed by a sha512 digest through /v2/ */
const MANIFEST_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/

export type RepositoryRoute = { repository: string; tag: string | null; digest?: string } | null

/** The catch-all segments of /repositories/[...path] -> which page to show; null = no such page. */
export function parseRepositoryPath(path: string[]): RepositoryRoute {
  const parts = path.map(safeDecode).filter((p) => p !== '')
  const dash = parts.indexOf('-')
  if (dash === -1) return parts.length ? { repository: parts.join('/'), tag: null } : null
  const rest = parts.slice(dash + 1)
  if (dash === 0 || rest.length !== 2) return null
  const repository = parts.slice(0, dash).join('/')
  if (rest[0] === 'tags') return { repository, tag: rest[1] }
  if (rest[0] === 'digests' && MANIFEST_DIGEST.test(rest[1])) return { repository, tag: null, digest: rest[1] }
  return null
}

function safeDecode(s: string) {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

export const api = {
  uploads: (params: { filename: string; repository?: string; tag?: string; organization?: string | null }) => {
    const q = new URLSearchParams({ filename: params.filename })
    if (params.organization) q.set('organization', params.organization)
    if (params.repository) q.set('repository', params.repository)
    if (params.tag) q.set('tag', params.tag)
    return `/api/uploads?${q}`
  },
  repositories: (q: string, page: number, pageSize?: number, sort?: string) => {
    const params = new URLSearchParams({ page: String(page) })
    if (q) params.set('q', q)
    if (sort && sort !== 'name') params.set('sort', sort)
    if (pageSize) params.set('pageSize', String(pageSize))
    return `/api/repositories?${params}`
  },
  tags: (repository: string) => `/api/repositories/${segments(repository)}/tags`,
  tag: (repository: string, tag: string) => `/api/repositories/${segments(repository)}/tags/${encodeURIComponent(tag)}`,
  // Served by the archive export endpoint (docker save format).
  archive: (repository: string, tag: string, platform?: string | null) =>
    `/api/repositories/${segments(repository)}/tags/${encodeURIComponent(tag)}/archive${platform ? `?platform=${encodeURIComponent(platform)}` : ''}`,
  digest: (repository: string, digest: string) => `/api/repositories/${segments(repository)}/digests/${digest}`,
  /** DELETE: the image for good (its tags too); GC frees its bytes */
  manifest: (repository: string, digest: string) => `/api/repositories/${segments(repository)}/manifests/${digest}`,
  gc: (dryRun: boolean) => `/api/gc?dryRun=${dryRun}`,
  organizationRetention: (organization: string) => `/api/organizations/${encodeURIComponent(organization)}/retention`,
  repositoryRetention: (repository: string) => `/api/repositories/${segments(repository)}/retention`,
  retentionRun: (dryRun: boolean, scope: { organization: string } | { repository: string }) =>
    `/api/retention/run?${new URLSearchParams({ dryRun: String(dryRun), ...scope })}`,
}
