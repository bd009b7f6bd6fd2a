// Repository and tag names, per the OCI distribution spec grammar, and the mapping of
// `docker save` RepoTags (docker.io/library/nginx:latest, registry:5000/team/app:v1) onto them.

export const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/
export const TAG_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/
export const DIGEST = /^sha256:[a-f0-9]{64}$/
export const MAX_REPOSITORY_LENGTH = 255

export class NameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NameError'
  }
}

/** Returns a reason when `name` is not a valid repository name, else null. */
export function repositoryNameProblem(name: string): string | null {
  if (!name) return 'the repository name is empty'
  if (name.length > MAX_REPOSITORY_LENGTH) return `"${name.slice(0, 40)}…" is longer than ${MAX_REPOSITORY_LENGTH} characters`
  if (/[A-Z]/.test(name)) return `"${name}" contains upper-case letters; repository names are lower-case`
  if (!REPOSITORY_NAME.test(name)) {
    return `"${name}" is not a valid repository name: use lower-case letters, digits and separators (. _ __ -) between them, with "/" between path components`
  }
  return null
}

export function tagNameProblem(tag: string): string | null {
  if (!TAG_NAME.test(tag)) return `"${tag}" is not a valid tag: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`
  return null
}

export type ImageName = { repository: string; tag: string }

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

/**
 * Maps an image reference as `docker save` records it to a repository in this registry:
 * the Docker Hub domain and its implicit "library/" are dropped, another registry's host is kept
 * (without its port, which the grammar does not allow), a missing tag means "latest".
 * `keepHost: false` drops another registry's host too (an upload placed into an organization:
 * "registry.example.com:5000/team/app" is "team/app" there).
 */
export function parseImageReference(ref: string, { keepHost = true }: { keepHost?: boolean } = {}): ImageName {
  const raw = ref.trim()
  if (!raw) throw new NameError('the image reference is empty')
  if (raw.includes('@')) throw new NameError(`"${raw}" is a digest reference; give a repository:tag`)
  let rest = raw
  let tag = 'latest'
  const lastSlash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
  }
  const parts = rest.split('/')
  let domain: string | null = null
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    domain = parts.shift()!.toLowerCase()
  }
  if (domain === null || DOCKER_HUB.has(domain)) {
    if (parts.length > 1 && parts[0] === 'library') parts.shift()
  } else if (keepHost) {
    parts.unshift(domain.replace(/:\d+$/, ''))
  }
  const repository = parts.join('/')
  const problem = repositoryNameProblem(repository) ?? tagNameProblem(tag)
  if (problem) throw new NameError(`cannot use "${raw}": ${problem}`)
  return { repository, tag }
}
