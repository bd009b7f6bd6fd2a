// DELETE /v2/<name>/blobs/<digest> must not break an image: a blob that a manifest of the repository
// references is refused (405 UNSUPPORTED, the spec's answer for a blob deletion the registry does not
// allow) and stays pullable; a blob nothing references still deletes (202).
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { registryForTests } from '../helpers/http-stack'
import { providers } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { sha256, errorOf, request, pushOneLayerImage, OCI_MANIFEST } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'

describe.each(providers)('DELETE of a referenced blob (%s)', (provider) => {
  const reg = registryForTests(provider, { timeout: 120_000 })
  const api = (path: string, init: Parameters<typeof request>[1] = {}) => request(reg.url + path, init)

  async function pullBytes(path: string) {
    const res = await api(path)
    expect(res.status, path).toBe(200)
    return Buffer.from(await res.arrayBuffer())
  }

  it('refuses to delete the layer and config of an uploaded (tagged) image, which still pulls byte-exact', async () => {
    const layer = await makeLayer(300_000)
    const { archive, configDigest, diffIds } = await makeDockerArchive({ repoTags: ['team/app:1.0'], layers: [layer] })
    await importArchive(reg.stack, { body: Readable.from([archive]), filename: 'app.tar', repository: null, tag: null })

    const manifestRes = await api('/v2/team/app/manifests/1.0', { headers: { Accept: OCI_MANIFEST } })
    expect(manifestRes.status).toBe(200)
    const manifest = JSON.parse(await manifestRes.text())
    const layerDigest = manifest.layers[0].digest
    expect(layerDigest).toBe(diffIds[0])

    for (const digest of [layerDigest, configDigest]) {
      const del = await api(`/v2/team/app/blobs/${digest}`, { method: 'DELETE' })
      const err = await errorOf(del)
      expect(err.status).toBe(405)
      expect(err.code).toBe('UNSUPPORTED')
      expect(err.message).toContain('still referenced by manifest')
      expect(del.headers.get('allow')).toBe('GET, HEAD')
    }
    // the tag still pulls, byte for byte
    expect((await pullBytes(`/v2/team/app/blobs/${layerDigest}`)).equals(layer)).toBe(true)
    expect(sha256(await pullBytes(`/v2/team/app/blobs/${configDigest}`))).toBe(configDigest)
  })

  it('refuses for a pushed image too, and allows the delete once the manifest is gone', async () => {
    const { layer, manifest } = await pushOneLayerImage(reg.url, 'pushed/app', 'v1', 5000)

    expect((await api(`/v2/pushed/app/blobs/${sha256(layer)}`, { method: 'DELETE' })).status).toBe(405)
    expect((await pullBytes(`/v2/pushed/app/blobs/${sha256(layer)}`)).equals(layer)).toBe(true)

    expect((await api(`/v2/pushed/app/manifests/${sha256(manifest)}`, { method: 'DELETE' })).status).toBe(202)
    expect((await api(`/v2/pushed/app/blobs/${sha256(layer)}`, { method: 'DELETE' })).status).toBe(202)
    expect((await api(`/v2/pushed/app/blobs/${sha256(layer)}`)).status).toBe(404)
  })

  it('deletes a blob no manifest references, and a blob referenced only in another repository', async () => {
    const loose = randomBytes(1000)
    expect((await api(`/v2/team/app/blobs/uploads/?digest=${sha256(loose)}`, { method: 'POST', body: loose })).status).toBe(201)
    const del = await api(`/v2/team/app/blobs/${sha256(loose)}`, { method: 'DELETE' })
    expect(del.status).toBe(202)
    expect((await api(`/v2/team/app/blobs/${sha256(loose)}`)).status).toBe(404)

    // mount team/app's layer into another repository: there no manifest uses it, so it may go there
    const manifest = JSON.parse(await (await api('/v2/team/app/manifests/1.0', { headers: { Accept: OCI_MANIFEST } })).text())
    const layerDigest = manifest.layers[0].digest
    const mount = await api(`/v2/other/repo/blobs/uploads/?mount=${layerDigest}&from=team/app`, { method: 'POST' })
    expect(mount.status).toBe(201)
    expect((await api(`/v2/other/repo/blobs/${layerDigest}`, { method: 'DELETE' })).status).toBe(202)
    expect((await api(`/v2/team/app/blobs/${layerDigest}`, { method: 'HEAD' })).status).toBe(200)
  })
})
