// The registry API asks lib/http/authorize.ts before anything else and turns a refusal into the spec's
// UNAUTHORIZED (with the token flow's challenge) or DENIED. The decision is stubbed here: this checks the
// mapping of endpoints onto actions/resources; the real rules are tested in tests/integration/access-*.
import { describe, it, expect, vi, beforeAll, afterAll } from 'vitest'
import type { Action, Resource } from '../../lib/http/authorize'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import type { Services } from '../../lib/services'

const calls: { action: Action; resource: Resource }[] = []
let decide: (action: Action, resource: Resource) => { allowed: false; status: 401 | 403; reason: string } = () => ({ allowed: false, status: 401, reason: 'log in first' })

vi.mock('../../lib/http/authorize', () => ({
  authorize: async (_services: unknown, _req: unknown, action: Action, resource: Resource) => {
    calls.push({ action, resource })
    return decide(action, resource)
  },
}))

describe('registry API authorization', () => {
  let server: RunningServer
  // No request below gets past authorization, so no database or bucket is needed.
  beforeAll(async () => {
    server = await listen({} as Services, { port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await server?.close()
  })

  it('answers UNAUTHORIZED with a challenge when the caller must log in', async () => {
    const res = await fetch(`${server.url}/v2/`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${server.url}/v2/token",service="stowage"`)
    expect(await res.json()).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'log in first', detail: null }] })
  })

  it('answers DENIED, and asks for the action and resource of each endpoint', async () => {
    decide = () => ({ allowed: false, status: 403, reason: 'not yours' })
    calls.length = 0
    const d = `sha256:${'a'.repeat(64)}`
    const cases: [string, string, Action, Resource][] = [
      ['GET', '/v2/', 'read', { kind: 'registry' }],
      ['GET', '/v2/_catalog', 'read', { kind: 'catalog' }],
      ['GET', '/v2/team/app/tags/list', 'read', { kind: 'repository', name: 'team/app' }],
      ['HEAD', '/v2/team/app/manifests/v1', 'read', { kind: 'repository', name: 'team/app' }],
      ['PUT', '/v2/team/app/manifests/v1', 'write', { kind: 'repository', name: 'team/app' }],
      ['DELETE', `/v2/team/app/manifests/${d}`, 'delete', { kind: 'repository', name: 'team/app' }],
      ['GET', `/v2/team/app/blobs/${d}`, 'read', { kind: 'repository', name: 'team/app' }],
      ['DELETE', `/v2/team/app/blobs/${d}`, 'delete', { kind: 'repository', name: 'team/app' }],
      ['POST', '/v2/team/app/blobs/uploads/', 'write', { kind: 'repository', name: 'team/app' }],
      ['GET', `/v2/team/app/referrers/${d}`, 'read', { kind: 'repository', name: 'team/app' }],
    ]
    for (const [method, path, action, resource] of cases) {
      const res = await fetch(server.url + path, { method })
      expect(res.status).toBe(403)
      if (method !== 'HEAD') expect((await res.json()).errors[0].code).toBe('DENIED')
      expect(calls.pop()).toEqual({ action, resource })
    }
  })
})
