// The registry API against a real client: skopeo pushes a `docker save`-style archive (it gzips the
// layers, as docker push does), pulls it back in two formats, pulls an image that came in through the
// console's archive import, inspects and deletes. SQLite and PostgreSQL, real S3-compatible server.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import tar from 'tar-stream'
import { tarFiles } from '../helpers/read-tar'
import { providers } from '../helpers/stack'
import { fixtures } from '../helpers/fixtures'
import { hasSkopeo } from '../helpers/optional'
import { startRegistry, skopeo, sha256, type Registry } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'
import { measured } from '../helpers/jobs'
import { getImageTagDetail as getTagDetail } from '../../lib/registry/queries'

const ARCHIVE = fixtures.path(fixtures.files.busybox)
const BUSYBOX_CONFIG = fixtures.facts.busybox.configDigest
const BUSYBOX_DIFF_IDS = fixtures.facts.busybox.diffIds
const BUSYBOX_LAYER_SIZES = fixtures.facts.busybox.layerSizes

/** Reads an OCI layout written by skopeo: its one image's config digest and the diff_ids of its layers. */
function readOciLayout(dir: string) {
  const blob = (digest: string) => fs.readFileSync(path.join(dir, 'blobs', ...digest.split(':')))
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'))
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString())
  const layers = manifest.layers.map((l: { digest: string; mediaType: string }) => {
    const bytes = blob(l.digest)
    expect(sha256(bytes)).toBe(l.digest)
    return sha256(l.mediaType.endsWith('gzip') ? zlib.gunzipSync(bytes) : bytes)
  })
  const config = blob(manifest.config.digest)
  expect(sha256(config)).toBe(manifest.config.digest)
  return { manifest, configDigest: manifest.config.digest as string, diffIds: layers as string[], config: JSON.parse(config.toString()) }
}

describe.skipIf(!hasSkopeo()).each(providers)('registry API with skopeo (%s)', (provider) => {
  let reg: Registry
  let work: string
  beforeAll(async () => {
    reg = await startRegistry(provider)
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-skopeo-'))
  })
  afterAll(async () => {
    await reg?.close()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('accepts a push of a docker-archive with gzip layers and serves it back unchanged', async () => {
    await skopeo('copy', '--dest-tls-verify=false', `docker-archive:${ARCHIVE}`, `docker://${reg.host}/test/busybox:1.0`)

    const res = await fetch(`${reg.url}/v2/test/busybox/manifests/1.0`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } })
    expect(res.status).toBe(200)
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(res.headers.get('docker-content-digest')).toBe(sha256(bytes))
    const manifest = JSON.parse(bytes.toString())
    expect(manifest.config.digest).toBe(BUSYBOX_CONFIG)
    expect(manifest.layers.map((l: any) => l.mediaType)).toEqual(Array(2).fill('application/vnd.docker.image.rootfs.diff.tar.gzip'))

    // stored as pushed (gzip): compressed = what was pushed; uncompressed is measured in the background
    const blobs = await reg.stack.db.blob.findMany({ where: { digest: { in: manifest.layers.map((l: any) => l.digest) } } })
    expect(blobs.map((b) => [b.mediaType, b.analysisState, b.uncompressedSize])).toEqual(Array(2).fill(['application/vnd.docker.image.rootfs.diff.tar.gzip', 'pending', null]))
    expect((await getTagDetail(reg.stack, 'test/busybox', '1.0'))!.sizes).toMatchObject({ packed: null, uncompressed: null, compressedState: 'pending' })

    await measured(reg.stack) // the compressed-size jobs
    const detail = (await getTagDetail(reg.stack, 'test/busybox', '1.0'))!
    expect(detail.layers.map((l) => l.uncompressedSize)).toEqual(BUSYBOX_LAYER_SIZES)
    expect(detail.layers.map((l) => l.compressedSize)).toEqual(manifest.layers.map((l: any) => l.size))
    expect(detail.sizes).toMatchObject({ uncompressed: fixtures.facts.busybox.uncompressedSize, compressed: manifest.layers[0].size + manifest.layers[1].size, compressedState: 'done' })
    expect(detail.platform).toEqual({ os: 'linux', architecture: 'amd64', variant: null })
    expect(detail.tagHistory).toEqual([expect.objectContaining({ digest: sha256(bytes), action: 'set', source: 'push' })])
    expect(await reg.stack.db.stagedObject.count()).toBe(0)
    expect(await reg.stack.db.blobUploadSession.count()).toBe(0)

    // pulled back as an OCI layout (skopeo converts the Docker config to OCI form, so its digest
    // changes): the layers decompress to the config's diff_ids
    const layout = path.join(work, 'pushed-oci')
    await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/test/busybox:1.0`, `oci:${layout}`)
    const pulled = readOciLayout(layout)
    expect(pulled.diffIds).toEqual(BUSYBOX_DIFF_IDS)
    expect(pulled.config.rootfs.diff_ids).toEqual(BUSYBOX_DIFF_IDS)

    // and as a docker-archive
    const archive = path.join(work, 'pushed.tar')
    await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/test/busybox:1.0`, `docker-archive:${archive}`)
    const files = await tarFiles(archive)
    const [entry] = JSON.parse(files.get('manifest.json')!.toString())
    expect(sha256(files.get(entry.Config)!)).toBe(BUSYBOX_CONFIG)
    expect(entry.Layers.map((l: string) => sha256(files.get(l)!))).toEqual(BUSYBOX_DIFF_IDS)
  })

  it('serves an image imported from a docker save archive: the pulled config digest is the saved image ID', async () => {
    await importArchive(reg.stack, { body: fs.createReadStream(ARCHIVE) })
    const layout = path.join(work, 'imported-oci')
    await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/example.test/busybox:1.0`, `oci:${layout}`)
    const pulled = readOciLayout(layout)
    expect(pulled.configDigest).toBe(BUSYBOX_CONFIG)
    expect(pulled.diffIds).toEqual(BUSYBOX_DIFF_IDS)
    expect(pulled.config.rootfs.diff_ids).toEqual(BUSYBOX_DIFF_IDS)
    // the registry serves the imported layers uncompressed, exactly as stored (skopeo compresses them
    // when it writes an OCI layout)
    const served = await (await fetch(`${reg.url}/v2/example.test/busybox/manifests/1.0`)).json()
    expect(served.layers.map((l: any) => [l.mediaType, l.digest, l.size])).toEqual(
      BUSYBOX_DIFF_IDS.map((d, i) => ['application/vnd.oci.image.layer.v1.tar', d, BUSYBOX_LAYER_SIZES[i]]),
    )
  })

  it('answers skopeo inspect and skopeo delete', async () => {
    const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/example.test/busybox:1.0`))
    const head = await fetch(`${reg.url}/v2/example.test/busybox/manifests/1.0`, { method: 'HEAD' })
    expect(info).toMatchObject({ Digest: head.headers.get('docker-content-digest'), RepoTags: ['1.0'], Architecture: 'amd64', Os: 'linux', Layers: BUSYBOX_DIFF_IDS })
    const raw = JSON.parse(await skopeo('inspect', '--raw', '--config', '--tls-verify=false', `docker://${reg.host}/example.test/busybox:1.0`))
    expect(raw.rootfs.diff_ids).toEqual(BUSYBOX_DIFF_IDS)

    await skopeo('delete', '--tls-verify=false', `docker://${reg.host}/test/busybox:1.0`)
    expect((await fetch(`${reg.url}/v2/test/busybox/manifests/1.0`)).status).toBe(404)
    const tags = await (await fetch(`${reg.url}/v2/test/busybox/tags/list`)).json()
    expect(tags).toEqual({ name: 'test/busybox', tags: [] })
    const history = await reg.stack.db.tagEvent.findMany({ where: { repository: { name: 'test/busybox' } }, orderBy: { id: 'asc' } })
    expect(history.map((h) => [h.action, h.source])).toEqual([
      ['set', 'push'],
      ['delete', 'push'],
    ])
  })
})
