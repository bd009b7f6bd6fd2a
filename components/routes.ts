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

export type RepositoryRoute = { repository: string; tag: string | null; digest?: string; compare?: true } | null

/** Two images of a repository side by side: /repositories/<name...>/-/compare?from=&to= */
export const compareHref = (repository: string, from?: string, to?: string) => {
  const q = new URLSearchParams()
  if (from) q.set('from', from)
  if (to) q.set('to', to)
  return `${repositoryHref(repository)}/-/compare${q.size ? `?${q}` : ''}`
}

/** The catch-all segments of /repositories/[...path] -> which page to show; null = no such page. */
export function parseRepositoryPath(path: string[]): RepositoryRoute {
  const parts = path.map(safeDecode).filter((p) => p !== '')
  const dash = parts.indexOf('-')
  if (dash === -1) return parts.length ? { repository: parts.join('/'), tag: null } : null
  const rest = parts.slice(dash + 1)
  if (dash === 0) return null
  const repository = parts.slice(0, dash).join('/')
  if (rest.length === 1 && rest[0] === 'compare') return { repository, tag: null, compare: true }
  if (rest.length !== 2) return null
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
  /** one directory level of a layer (or a path search with `q`); see README "Layer index API" */
  layerFiles: (digest: string, params: FileQuery) => `/api/blobs/${digest}/files?${fileQuery(params)}`,
  /** one regular file of a layer (its path, each segment encoded) */
  layerFile: (digest: string, path: string) => `/api/blobs/${digest}/files/${path.split('/').filter(Boolean).map(encodeURIComponent).join('/')}`,
  /** an image for the image-level analysis endpoints: by tag or by digest (contract 13) */
  image: (repository: string, ref: { tag: string } | { digest: string }, platform?: string | null) => ({ base: `/api/repositories/${segments(repository)}/${'tag' in ref ? `tags/${encodeURIComponent(ref.tag)}` : `digests/${ref.digest}`}`, platform: platform ?? null }),
  imageFiles: (image: ImageRef, params: FileQuery) => `${image.base}/files?${fileQuery(params, image.platform)}`,
  imageUsage: (image: ImageRef) => `${image.base}/usage${image.platform ? `?platform=${encodeURIComponent(image.platform)}` : ''}`,
  imageEfficiency: (image: ImageRef) => `${image.base}/efficiency${image.platform ? `?platform=${encodeURIComponent(image.platform)}` : ''}`,
  compare: (repository: string, from: string, to: string, page = 1, pageSize = 100) =>
    `/api/repositories/${segments(repository)}/compare?${new URLSearchParams({ from, to, page: String(page), pageSize: String(pageSize) })}`,
  retentionRun: (dryRun: boolean, scope: { organization: string } | { repository: string }) =>
    `/api/retention/run?${new URLSearchParams({ dryRun: String(dryRun), ...scope })}`,
}

export type ImageRef = { base: string; platform: string | null }
export type FileQuery = { path?: string; page?: number; pageSize?: number; sort?: 'name' | 'size'; q?: string }

function fileQuery(p: FileQuery, platform?: string | null) {
  const q = new URLSearchParams()
  if (p.q) q.set('q', p.q)
  else if (p.path) q.set('path', p.path)
  q.set('page', String(p.page ?? 1))
  q.set('pageSize', String(p.pageSize ?? 200))
  if (p.sort === 'size') q.set('sort', 'size')
  if (platform) q.set('platform', platform)
  return q.toString()
}
