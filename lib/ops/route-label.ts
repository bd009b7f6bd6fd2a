// The route a request matched, as a bounded label for metrics and logs: a route table's pattern with its
// parameters as `*` (`/api/repositories/*/tags`), never the raw path (its repository names and digests
// would make a new metric series per image).
import type { IncomingMessage } from 'node:http'
import type { ApiRoute } from '../http/api-routes'
import type { Route } from '../oci/routes'

const labels = new WeakMap<IncomingMessage, string>()

/** Called by a router once it knows the route. */
export function nameRoute(req: IncomingMessage, label: string) {
  labels.set(req, label)
}

export function routeOf(req: IncomingMessage): string | undefined {
  return labels.get(req)
}

/** Until a router names it: what the path prefix alone says. */
export function fallbackRoute(pathname: string): string {
  if (pathname === '/api' || pathname.startsWith('/api/')) return 'api:unmatched'
  if (pathname === '/v2' || pathname.startsWith('/v2/')) return 'v2:unmatched'
  if (pathname.startsWith('/_next/')) return 'console:asset'
  return 'console:page'
}

const apiLabels = new WeakMap<ApiRoute, string>()

/** `/api/organizations/*\/members/*` from the route's pattern (memoized: the table is fixed). */
export function apiRouteLabel(route: ApiRoute): string {
  let label = apiLabels.get(route)
  if (!label) apiLabels.set(route, (label = patternLabel(route.pattern)))
  return label
}

/** A pattern's source with anchors and escapes dropped and every group (a parameter) as `*`. */
export function patternLabel(pattern: RegExp): string {
  const src = pattern.source.replace(/^\^/, '').replace(/\$$/, '')
  let out = ''
  let depth = 0
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (c === '\\') {
      if (depth === 0) out += src[i + 1] ?? ''
      i++
    } else if (c === '(') {
      if (depth++ === 0) out += '*'
    } else if (c === ')') depth--
    else if (depth === 0) out += c
  }
  return out
}

const REGISTRY_LABELS: Record<Route['kind'], string> = {
  base: '/v2/',
  token: '/v2/token',
  catalog: '/v2/_catalog',
  tags: '/v2/*/tags/list',
  manifest: '/v2/*/manifests/*',
  blob: '/v2/*/blobs/*',
  upload: '/v2/*/blobs/uploads/*',
  referrers: '/v2/*/referrers/*',
}

export function registryRouteLabel(route: Route): string {
  if (route.kind === 'upload' && route.sessionId === null) return '/v2/*/blobs/uploads/'
  return REGISTRY_LABELS[route.kind]
}
