// One rule for which repositories are listed, shared by the console's repository list and GET
// /v2/_catalog: a repository is listed while it has at least one tag. Repositories whose tags were all
// deleted (through the console or the registry API), that hold only untagged manifests, or only blobs,
// are in neither list; tagging one again brings it back to both.
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

  it('lists exactly the repositories with at least one tag, in both lists', async () => {
    await importTagged('kept/app:1.0')
    await importTagged('console-deleted/app:1.0')
    await importTagged('registry-deleted/app:1.0')
    await pushImage('pushed/tagged', 'v1')
    await pushImage('pushed/by-digest', null)
    const loose = randomBytes(100)
    expect((await api(`/v2/only/blobs/blobs/uploads/?digest=${sha256(loose)}`, { method: 'POST', body: loose })).status).toBe(201)

    expect((await api('/api/repositories/console-deleted/app/tags/1.0', { method: 'DELETE' })).status).toBe(204)
    expect((await api('/v2/registry-deleted/app/manifests/1.0', { method: 'DELETE' })).status).toBe(202)

    const expected = ['kept/app', 'pushed/tagged']
    expect(await bothLists()).toEqual({ console: expected, catalog: expected })

    // the untagged content is still there for whoever knows its digest
    expect((await (await api('/v2/pushed/by-digest/tags/list')).json()).tags).toEqual([])
    expect((await (await api('/v2/console-deleted/app/tags/list')).json()).tags).toEqual([])
  })

  it('a repository tagged again is listed again by both', async () => {
    await pushImage('pushed/by-digest', 'now-tagged')
    const expected = ['kept/app', 'pushed/by-digest', 'pushed/tagged']
    expect(await bothLists()).toEqual({ console: expected, catalog: expected })
    // catalog pagination runs over the same listed set
    const first = await api('/v2/_catalog?n=2')
    expect((await first.json()).repositories).toEqual(expected.slice(0, 2))
    expect(first.headers.get('link')).toBe(`</v2/_catalog?n=2&last=${encodeURIComponent(expected[1])}>; rel="next"`)
  })
})
