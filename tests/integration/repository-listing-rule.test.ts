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
import { sha256, request } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

describe.each(providers)('repository listing rule: console list = /v2/_catalog (%s)', (provider) => {
  const reg = registryForTests(provider, { timeout: 120_000 })
  const api = (path: string, init: Parameters<typeof request>[1] = {}) => request(reg.url + path, init)

  async function importTagged(ref: string) {
    const { archive } = await makeDockerArchive({ repoTags: [ref], layers: [await makeLayer(2000)] })
    await importArchive(reg.stack, { body: Readable.from([archive]), filename: 'a.tar', repository: null, tag: null })
  }
  async function pushImage(repo: string, reference: string | null) {
    const layer = randomBytes(500)
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }))
    for (const blob of [layer, config]) expect((await api(`/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })).status).toBe(201)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
      }),
    )
    const res = await api(`/v2/${repo}/manifests/${reference ?? sha256(manifest)}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': OCI_MANIFEST } })
    expect(res.status).toBe(201)
    return sha256(manifest)
  }
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
