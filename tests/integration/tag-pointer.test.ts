// PUT /api/repositories/{name}/tags/{tag} {"digest"}: points a tag back at an earlier image of its
// repository, recorded in the tag history as a console change; bad requests get clear errors.
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startStack, providers, type Stack } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { importArchive } from '../../lib/archive/import-archive'
import { listen, type RunningServer } from '../../lib/http/stowage-server'

for (const provider of providers) {
  describe(`tag pointer API (${provider})`, () => {
    let stack: Stack
    let server: RunningServer
    let first: string
    let second: string
    let elsewhere: string
    const upload = async (repoTags: string[]) => {
      const { archive } = await makeDockerArchive({ repoTags, layers: [await makeLayer(3000)] })
      const r = await importArchive(stack, { body: Readable.from([archive]) })
      return r.images[0].manifestDigest
    }
    const put = (path: string, body: unknown) =>
      fetch(`${server.url}/api/repositories/${path}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
    const detail = async (path: string) => (await fetch(`${server.url}/api/repositories/${path}`)).json() as Promise<any>

    beforeAll(async () => {
      stack = await startStack(provider)
      server = await listen(stack, { port: 0, host: '127.0.0.1' })
      first = await upload(['team/app:v1'])
      second = await upload(['team/app:v1'])
      elsewhere = await upload(['team/other:v1'])
    }, 120_000)
    afterAll(async () => {
      await server?.close()
      await stack?.close()
    })

    it('points the tag back at a previous digest and records it with source "console"', async () => {
      expect((await detail('team/app/tags/v1')).digest).toBe(second)
      const res = await put('team/app/tags/v1', { digest: first })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ repository: 'team/app', tag: 'v1', digest: first, status: 'updated', previousDigest: second })
      const after = await detail('team/app/tags/v1')
      expect(after.digest).toBe(first)
      expect(after.tagHistory[0]).toMatchObject({ digest: first, action: 'set', source: 'console' })
      expect(after.tagHistory.map((h: any) => h.digest)).toEqual([first, second, first])
    })

    it('creates a new tag for an existing digest', async () => {
      const res = await put('team/app/tags/stable', { digest: second })
      expect(res.status).toBe(200)
      expect((await res.json()).status).toBe('created')
      expect((await detail('team/app/tags/stable')).digest).toBe(second)
    })

    it('refuses digests of other repositories, unknown repositories and malformed requests', async () => {
      const cases: [string, unknown, number, string][] = [
        ['team/app/tags/v1', { digest: elsewhere }, 404, 'MANIFEST_NOT_FOUND'],
        ['nobody/here/tags/v1', { digest: first }, 404, 'REPOSITORY_NOT_FOUND'],
        ['team/app/tags/v1', { digest: 'sha256:abc' }, 400, 'DIGEST_INVALID'],
        ['team/app/tags/v1', {}, 400, 'DIGEST_INVALID'],
        ['team/app/tags/v1', 'not json', 400, 'BODY_INVALID'],
        ['team/app/tags/.bad', { digest: first }, 400, 'TAG_INVALID'],
        ['team/app/tags/v1', JSON.stringify({ digest: first, pad: 'x'.repeat(10_000) }), 413, 'BODY_TOO_LARGE'],
      ]
      for (const [path, body, status, code] of cases) {
        const res = await put(path, body)
        expect(res.status, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(status)
        const json = await res.json()
        expect(json.error.code).toBe(code)
        expect(json.error.message.length).toBeGreaterThan(10)
      }
      expect((await detail('team/app/tags/v1')).digest).toBe(first)
    })

    it('sorts the repository list through the API and refuses an unknown sort', async () => {
      const ok = await fetch(`${server.url}/api/repositories?sort=size`)
      expect(ok.status).toBe(200)
      const body = await ok.json()
      expect(body.sort).toBe('size')
      expect(body.repositories[0]).toHaveProperty('size')
      const bad = await fetch(`${server.url}/api/repositories?sort=colour`)
      expect(bad.status).toBe(400)
      expect((await bad.json()).error.code).toBe('SORT_INVALID')
    })
  })
}
