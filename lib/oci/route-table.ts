// Who may call each registry endpoint, per method, with a sample path: the /v2/ half of the route
// table the access test walks (tests/integration/access-routes.test.ts). Typed by Route['kind'], so a
// new endpoint does not compile until it is listed here. The handlers enforce it (registry-api.ts).
import type { Route } from './routes'
import type { Audience } from '../http/api-routes'

export type RegistryEndpoint = { sample: string; methods: Record<string, Audience> }

const DIGEST = `sha256:${'0'.repeat(64)}`

export const registryEndpoints: Record<Route['kind'], RegistryEndpoint> = {
  base: { sample: '/v2/', methods: { GET: 'signed-in', HEAD: 'signed-in' } },
  // anyone gets a token; it grants only what the caller may do (anonymous: public pulls)
  token: { sample: '/v2/token?service=stowage&scope=repository:REPO:pull', methods: { GET: 'anyone', POST: 'anyone' } },
  // everyone may ask; the answer lists only what the caller may read
  catalog: { sample: '/v2/_catalog', methods: { GET: 'anyone', HEAD: 'anyone' } },
  tags: { sample: '/v2/REPO/tags/list', methods: { GET: 'pull', HEAD: 'pull' } },
  referrers: { sample: `/v2/REPO/referrers/${DIGEST}`, methods: { GET: 'pull', HEAD: 'pull' } },
  manifest: { sample: '/v2/REPO/manifests/v1', methods: { GET: 'pull', HEAD: 'pull', PUT: 'push', DELETE: 'push' } },
  blob: { sample: `/v2/REPO/blobs/${DIGEST}`, methods: { GET: 'pull', HEAD: 'pull', DELETE: 'push' } },
  upload: { sample: '/v2/REPO/blobs/uploads/', methods: { POST: 'push' } },
}

/** Upload sessions (/v2/REPO/blobs/uploads/<id>) need push, whatever the method. */
export const uploadSessionSample = { sample: '/v2/REPO/blobs/uploads/00000000-0000-0000-0000-000000000000', methods: { GET: 'push', PATCH: 'push', PUT: 'push', DELETE: 'push' } as Record<string, Audience> }
