// zstd layers pushed through /v2 are indexed like gzip ones (issue 13), on real parts: s3rver, SQLite and
// PostgreSQL, the real job queue. The layer is tests/fixtures/zstd/layer.tar.zst (written by the zstd CLI,
// two frames); its tar is rebuilt in JS to check listing sizes and downloaded bytes. A corrupt zstd layer
// ends as a failed index with the decoder's reason, at once (no retries), and the image stays pullable.
import fs from 'node:fs'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { startTestJobs } from '../helpers/jobs'
import type { RunningJobs } from '../../lib/jobs/start-jobs'
import { zstdFrameHeader } from '../../lib/layers/zstd-stream'
import { ZSTD_FIXTURE, zstdLayerTar, zstdLayerFiles } from '../helpers/zstd-fixture'
import { request, sha256, OCI_MANIFEST } from './oci-support'

const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd'
const zst = fs.readFileSync(ZSTD_FIXTURE)
const tar = zstdLayerTar()
/** the fixture with its first block header turned into the reserved block type */
const corrupt = (() => {
  const b = Buffer.from(zst)
  b[zstdFrameHeader(b)!.length] |= 0b110
  return b
})()

describe.each(providers)('layer index of zstd layers (%s)', (provider) => {
  let reg: Registry
  let jobs: RunningJobs | undefined
  const api = (path: string) => request(reg.url + path)
  const json = async (path: string) => {
    const res = await api(path)
    return { status: res.status, body: (await res.json()) as any }
  }
  /** The answer once nothing is being built: runs the queued jobs between tries (no clock involved). */
  const settled = async (path: string) => {
    for (let i = 0; i < 6; i++) {
      const r = await json(path)
      if (r.status !== 202) return r
      jobs ??= await startTestJobs(reg.stack)
      await jobs.jobs.idle('blob.measure')
      await jobs.jobs.idle('image.analyze')
    }
    throw new Error(`${path} is still being built`)
  }
  async function push(repo: string, layer: Buffer) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }))
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: ZSTD, digest: sha256(layer), size: layer.length }],
      }),
    )
    for (const blob of [layer, config]) expect((await request(`${reg.url}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })).status).toBe(201)
    expect((await request(`${reg.url}/v2/${repo}/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'Content-Type': OCI_MANIFEST } })).status).toBe(201)
  }

  beforeAll(async () => {
    reg = await startRegistry(provider)
    await push('zstd/app', zst)
    await push('zstd/broken', corrupt)
  }, 60_000)
  afterAll(async () => {
    await jobs?.stop()
    await reg?.close()
  })

  it('indexes a pushed zstd layer (offsets of the decompressed stream) and measures its uncompressed size', async () => {
    const listing = await settled(`/api/blobs/${sha256(zst)}/files?path=app`)
    expect(listing.status).toBe(200)
    expect(listing.body.entries.map((e: any) => [e.name, e.type, e.size])).toEqual([
      ['after.txt', 'file', zstdLayerFiles['app/after.txt'].length],
      ['big.bin', 'file', zstdLayerFiles['app/big.bin'].length],
      ['link', 'symlink', 0],
      ['main.js', 'file', zstdLayerFiles['app/main.js'].length],
    ])
    const fileBytes = Object.values(zstdLayerFiles).reduce((n, b) => n + b.length, 0)
    expect(listing.body).toMatchObject({ state: 'ready', entryCount: 5, fileCount: 3, fileBytes })
    expect(listing.body.compressedContentBytes + listing.body.compressibleBytes).toBe(fileBytes)
    const row = await reg.stack.db.layerIndex.findUniqueOrThrow({ where: { digest: sha256(zst) } })
    expect(row).toMatchObject({ state: 'ready', offsetsOf: 'decompressed', error: null })
    // pushed compressed: the stored bytes are the compressed size, the decoded tar the uncompressed one
    const blob = await reg.stack.db.blob.findUniqueOrThrow({ where: { digest: sha256(zst) } })
    expect(blob).toMatchObject({ analysisState: 'done', mediaType: ZSTD })
    expect([Number(blob.compressedSize), Number(blob.uncompressedSize)]).toEqual([zst.length, tar.length])
  }, 120_000)

  it('downloads files with their exact bytes, also one lying after megabytes of the layer', async () => {
    await settled(`/api/blobs/${sha256(zst)}/files`)
    for (const [path, data] of Object.entries(zstdLayerFiles)) {
      const res = await api(`/api/blobs/${sha256(zst)}/files/${path}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-length')).toBe(String(data.length))
      expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true)
    }
    const link = await json(`/api/blobs/${sha256(zst)}/files/app/link`)
    expect(link).toMatchObject({ status: 409, body: { error: { code: 'NOT_A_REGULAR_FILE' } } })
  }, 120_000)

  it('shows the zstd layer in the image usage (bytes per layer)', async () => {
    const usage = await settled('/api/repositories/zstd/app/tags/v1/usage')
    expect(usage.status).toBe(200)
    expect(usage.body.largestFiles[0]).toMatchObject({ path: 'app/big.bin', size: zstdLayerFiles['app/big.bin'].length, layer: 0, layerDigest: sha256(zst) })
    expect(usage.body.layers).toEqual([expect.objectContaining({ position: 0, digest: sha256(zst), fileBytes: Object.values(zstdLayerFiles).reduce((n, b) => n + b.length, 0) })])
  }, 120_000)

  it('records a corrupt zstd layer as failed with the decoder reason at once, and the image stays pullable', async () => {
    const res = await settled(`/api/blobs/${sha256(corrupt)}/files`)
    expect(res.status).toBe(500)
    expect(res.body.error).toMatchObject({ code: 'INDEX_FAILED' })
    expect(res.body.error.message).toMatch(/zstd stream is corrupt \(reserved block type\)/)
    const row = await reg.stack.db.layerIndex.findUniqueOrThrow({ where: { digest: sha256(corrupt) } })
    expect(row).toMatchObject({ state: 'failed', objectKey: null })
    const blob = await reg.stack.db.blob.findUniqueOrThrow({ where: { digest: sha256(corrupt) } })
    expect(blob.analysisState).toBe('failed')
    expect(blob.analysisError).toMatch(/reserved block type/)
    // nothing lost: the stored layer is served as pushed
    const pulled = await api(`/v2/zstd/broken/blobs/${sha256(corrupt)}`)
    expect(pulled.status).toBe(200)
    expect(Buffer.from(await pulled.arrayBuffer()).equals(corrupt)).toBe(true)
  }, 120_000)
})
