// One rule for which repositories are listed, shared by the console's repository list and GET
// /v2/_catalog: a repository is listed while it holds at least one manifest (tagged or not). Repositories
// whose tags were all deleted still hold their manifests (pullable by digest) and stay listed; a
// repository that holds only blobs is in neither list; deleting its last manifest by digest (registry
// API or console) drops it from both, and pushing again brings it back to both.
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { registryForTests } from '../helpers/http-stack'
import { providers } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { sha256, pushOneLayerImage, request } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'

describe.each(providers)('repository listing rule: console list = /v2/_catalog (%s)', (provider) => {
  const reg = registryForTests(provider, { timeout: 120_000 })
  const stack = () => reg.stack
  const api = (path: string, init: Parameters<typeof request>[1] = {}) => request(reg.url + path, init)

  async function importTagged(ref: string) {
    const { archive } = await makeDockerArchive({ repoTags: [ref], layers: [await makeLayer(2000)] })
    await importArchive(reg.stack, { body: Readable.from([archive]), filename: 'a.tar', repository: null, tag: null })
  }
  const pushImage = async (repo: string, reference: string | null) => (await pushOneLayerImage(reg.url, repo, reference, 500)).digest
  async function bothLists() {
    const consoleList = (await (await api('/api/repositories?pageSize=100')).json()).repositories.map((r: { name: string }) => r.name)
    const catalog = (await (await api('/v2/_catalog')).json()).repositories
    return { console: consoleList, catalog }
  }

  it('lists exactly the repositories with at least one manifest, in both lists', async () => {
    await importTagged('kept/app:1.0')
    await importTagged('console-deleted/app:1.0')
    await importTagged('registry-deleted/app:1.0')
    await pushImage('pushed/tagged', 'v1')
    await pushImage('pushed/by-digest', null)
    const loose = randomBytes(100)
    expect((await api(`/v2/only/blobs/blobs/uploads/?digest=${sha256(loose)}`, { method: 'POST', body: loose })).status).toBe(201)

    // tags deleted: the manifests stay (pullable by digest), so do the repositories
    expect((await api('/api/repositories/console-deleted/app/tags/1.0', { method: 'DELETE' })).status).toBe(204)
    expect((await api('/v2/registry-deleted/app/manifests/1.0', { method: 'DELETE' })).status).toBe(202)
    const all = ['console-deleted/app', 'kept/app', 'pushed/by-digest', 'pushed/tagged', 'registry-deleted/app']
    expect(await bothLists()).toEqual({ console: all, catalog: all })
    expect((await (await api('/v2/pushed/by-digest/tags/list')).json()).tags).toEqual([])

    // the last manifest deleted by digest, through either API: gone from both lists
    const digestOf = async (repo: string) => (await stack().db.manifest.findFirstOrThrow({ where: { repository: { name: repo } } })).digest
    const consoleDigest = await digestOf('console-deleted/app')
    expect((await api(`/api/repositories/console-deleted/app/manifests/${consoleDigest}`, { method: 'DELETE' })).status).toBe(200)
    expect((await api(`/v2/registry-deleted/app/manifests/${await digestOf('registry-deleted/app')}`, { method: 'DELETE' })).status).toBe(202)
    const expected = ['kept/app', 'pushed/by-digest', 'pushed/tagged']
    expect(await bothLists()).toEqual({ console: expected, catalog: expected })
  })

  it('a repository pushed to again is listed again by both', async () => {
    await pushImage('console-deleted/app', 'again')
    const expected = ['console-deleted/app', 'kept/app', 'pushed/by-digest', 'pushed/tagged']
    expect(await bothLists()).toEqual({ console: expected, catalog: expected })
    // catalog pagination runs over the same listed set
    const first = await api('/v2/_catalog?n=2')
    expect((await first.json()).repositories).toEqual(expected.slice(0, 2))
    expect(first.headers.get('link')).toBe(`</v2/_catalog?n=2&last=${encodeURIComponent(expected[1])}>; rel="next"`)
  })
})
