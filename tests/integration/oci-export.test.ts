// "Download back": a tag as a `docker load`-compatible tar (Docker 25 layout). The archive of an
// imported image re-imports to the very same image; the archive of an image pushed with gzip layers
// carries them uncompressed, matching the config's diff_ids; skopeo reads both.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { snapshot, providers } from '../helpers/stack'
import { fixtures } from '../helpers/fixtures'
import { hasSkopeo } from '../helpers/optional'
import { startRegistry, skopeo, sha256, request, type Registry } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'
import { tarEntries } from '../helpers/read-tar'

const BUSYBOX_CONFIG = fixtures.facts.busybox.configDigest
const BUSYBOX_DIFF_IDS = fixtures.facts.busybox.diffIds
const skopeoPresent = hasSkopeo()
const hex = (d: string) => d.slice(7)

describe.each(providers)('image archive download (%s)', (provider) => {
  let reg: Registry
  let work: string
  beforeAll(async () => {
    reg = await startRegistry(provider)
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-export-'))
    await importArchive(reg.stack, { body: fs.createReadStream(fixtures.path(fixtures.files.busybox)) })
  })
  afterAll(async () => {
    await reg?.close()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  async function download(repository: string, tag: string, file: string) {
    const res = await request(`${reg.url}/api/repositories/${repository}/tags/${tag}/archive`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-tar')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${repository.replaceAll('/', '_')}_${tag}.tar"`)
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(bytes.length).toBe(Number(res.headers.get('content-length')))
    fs.writeFileSync(file, bytes)
    return file
  }

  it('writes an imported image in the Docker 25 layout, and importing it again changes nothing', async () => {
    const file = await download('example.test/busybox', '1.0', path.join(work, 'imported.tar'))
    const entries = await tarEntries(file)
    const manifestDigest = (await request(`${reg.url}/v2/example.test/busybox/manifests/1.0`, { method: 'HEAD' })).headers.get('docker-content-digest')!
    expect(entries.map((e) => e.name)).toEqual([
      'blobs/',
      'blobs/sha256/',
      `blobs/sha256/${hex(BUSYBOX_CONFIG)}`,
      ...BUSYBOX_DIFF_IDS.map((d) => `blobs/sha256/${hex(d)}`),
      `blobs/sha256/${hex(manifestDigest)}`, // the manifest the registry serves, byte for byte
      'index.json',
      'manifest.json',
      'oci-layout',
      'repositories',
    ])
    for (const e of entries.filter((e) => e.name.startsWith('blobs/sha256/') && e.type === 'file')) expect(sha256(e.data)).toBe(`sha256:${e.name.slice(13)}`)
    const json = (name: string) => JSON.parse(entries.find((e) => e.name === name)!.data.toString())
    expect(json('manifest.json')).toEqual([
      { Config: `blobs/sha256/${hex(BUSYBOX_CONFIG)}`, RepoTags: ['example.test/busybox:1.0'], Layers: BUSYBOX_DIFF_IDS.map((d) => `blobs/sha256/${hex(d)}`) },
    ])
    expect(json('index.json').manifests[0]).toMatchObject({
      digest: manifestDigest,
      annotations: { 'io.containerd.image.name': 'example.test/busybox:1.0', 'org.opencontainers.image.ref.name': '1.0' },
      platform: { architecture: 'amd64', os: 'linux' },
    })
    expect(json('repositories')).toEqual({ 'example.test/busybox': { '1.0': hex(BUSYBOX_DIFF_IDS[1]) } })

    if (skopeoPresent) {
      const info = JSON.parse(await skopeo('inspect', `docker-archive:${file}`))
      expect(info).toMatchObject({ Architecture: 'amd64', Os: 'linux', Layers: BUSYBOX_DIFF_IDS })
    }

    const before = await snapshot(reg.stack)
    const again = await importArchive(reg.stack, { body: fs.createReadStream(file) })
    expect(again.images[0].configDigest).toBe(BUSYBOX_CONFIG)
    expect(again.tags).toEqual([expect.objectContaining({ repository: 'example.test/busybox', tag: '1.0', status: 'unchanged', digest: manifestDigest })])
    const after = await snapshot(reg.stack)
    expect(after.objects).toEqual(before.objects)
    expect(after.blobs).toEqual(before.blobs)
  })

  it.skipIf(!skopeoPresent)('decompresses the layers of a pushed gzip image so that they match the diff_ids', async () => {
    await skopeo('copy', '--dest-tls-verify=false', `docker-archive:${fixtures.path(fixtures.files.busybox)}`, `docker://${reg.host}/pushed/busybox:gz`)
    const pushed = await (await request(`${reg.url}/v2/pushed/busybox/manifests/gz`)).json()
    expect(pushed.layers[0].mediaType).toMatch(/gzip/)
    // the background measurement has not run: the archive measures the uncompressed sizes itself
    expect(await reg.stack.db.blob.count({ where: { digest: pushed.layers[0].digest, uncompressedSize: null } })).toBe(1)

    const file = await download('pushed/busybox', 'gz', path.join(work, 'pushed.tar'))
    const [entry] = JSON.parse((await tarEntries(file)).find((e) => e.name === 'manifest.json')!.data.toString())
    expect(entry.Layers).toEqual(BUSYBOX_DIFF_IDS.map((d) => `blobs/sha256/${hex(d)}`))
    const layout = path.join(work, 'pushed-copy')
    await skopeo('copy', `docker-archive:${file}`, `oci:${layout}`) // reads and checks every layer

    const again = await importArchive(reg.stack, { body: fs.createReadStream(file), repository: 'roundtrip/busybox', tag: 'v1' })
    expect(again.images[0]).toMatchObject({ configDigest: BUSYBOX_CONFIG, uncompressedSize: fixtures.facts.busybox.uncompressedSize })
    const detail = await (await request(`${reg.url}/api/repositories/roundtrip/busybox/tags/v1`)).json()
    expect(detail.layers.map((l: any) => l.digest)).toEqual(BUSYBOX_DIFF_IDS)
  })

  it('cuts the download rather than send a layer that does not match its diff_id', async () => {
    const raw = Buffer.from('not really a tar layer')
    const layer = zlib.gzipSync(raw)
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256('something else')] } }))
    for (const blob of [layer, config]) {
      expect((await request(`${reg.url}/v2/broken/image/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })).status).toBe(201)
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
      }),
    )
    expect((await request(`${reg.url}/v2/broken/image/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(201)
    const res = await request(`${reg.url}/api/repositories/broken/image/tags/v1/archive`)
    expect(res.status).toBe(200) // the mismatch shows only while streaming
    await expect(res.arrayBuffer()).rejects.toThrow()
  })

  it('answers tags it cannot export with a JSON error', async () => {
    const missing = await request(`${reg.url}/api/repositories/example.test/busybox/tags/nope/archive`)
    expect([missing.status, (await missing.json()).error.code]).toEqual([404, 'TAG_NOT_FOUND'])
    const empty = Buffer.from('{}')
    await request(`${reg.url}/v2/artifact/thing/blobs/uploads/?digest=${sha256(empty)}`, { method: 'POST', body: empty })
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.example.note',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
        layers: [],
      }),
    )
    expect((await request(`${reg.url}/v2/artifact/thing/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(201)
    const artifact = await request(`${reg.url}/api/repositories/artifact/thing/tags/v1/archive`)
    expect([artifact.status, (await artifact.json()).error.code]).toEqual([409, 'NOT_EXPORTABLE'])
  })
})
