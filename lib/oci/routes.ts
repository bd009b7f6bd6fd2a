// Maps a /v2/ path onto an endpoint. Repository names contain slashes, so the endpoint suffix is matched
// from the right: "/v2/a/manifests/b/manifests/latest" is repository "a/manifests/b", tag "latest".
import { repositoryNameProblem } from '../registry/names'
import { OciError, type OciErrorCode } from './errors'

export type Route =
  | { kind: 'base' }
  /** the token endpoint of the registry token flow (docker login): token-endpoint.ts */
  | { kind: 'token' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload'; name: string; sessionId: string | null }
  | { kind: 'referrers'; name: string; digest: string }

const PATTERNS: [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1] })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1], reference: decode(m[2], 'MANIFEST_INVALID', 'reference') })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'upload', name: m[1], sessionId: null })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1], sessionId: decode(m[2], 'BLOB_UPLOAD_INVALID', 'upload id') })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1], digest: decode(m[2], 'DIGEST_INVALID', 'digest') })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1], digest: decode(m[2], 'DIGEST_INVALID', 'digest') })],
]

/** The endpoint a path names, or null when it names none. Throws NAME_INVALID for a bad repository name. */
export function parseRoute(pathname: string): Route | null {
  if (pathname === '/v2' || pathname === '/v2/') return { kind: 'base' }
  if (pathname === '/v2/_catalog') return { kind: 'catalog' }
  if (pathname === '/v2/token') return { kind: 'token' }
  for (const [re, build] of PATTERNS) {
    const m = re.exec(pathname)
    if (!m) continue
    const route = build(m)
    if ('name' in route) {
      if (hasMalformedEscape(route.name)) throw malformed('NAME_INVALID', 'repository name', route.name)
      const problem = repositoryNameProblem(route.name)
      if (problem) throw new OciError('NAME_INVALID', problem, { detail: { name: route.name } })
    }
    return route
  }
  return null
}

/** A percent-encoded path segment, decoded; a malformed escape (%ZZ) is the client's mistake: a 400. */
function decode(component: string, code: OciErrorCode, what: string) {
  try {
    return decodeURIComponent(component)
  } catch {
    throw malformed(code, what, component)
  }
}

const hasMalformedEscape = (s: string) => /%(?![0-9a-fA-F]{2})/.test(s)

const malformed = (code: OciErrorCode, what: string, raw: string) =>
  new OciError(code, `the ${what} in the path has a malformed percent-escape ("${raw.slice(0, 80)}")`, { status: 400, detail: { segment: raw.slice(0, 200) } })
