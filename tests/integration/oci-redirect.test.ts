// Blob downloads answered with a redirect to a presigned object-store URL (STOWAGE_BLOB_REDIRECT):
// the server moves no layer bytes, clients (and byte ranges) still get exactly the verified bytes.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { fixtures } from '../helpers/fixtures'
import { hasSkopeo } from '../helpers/optional'
import { importArchive } from '../../lib/archive/import-archive'
import { startRegistry, skopeo, sha256, type Registry } from './oci-support'
import { loadConfig } from '../../lib/config'

const LAYER = fixtures.facts.busybox.diffIds[1]
const LAYER_SIZE = fixtures.facts.busybox.layerSizes[1]
const CONFIG = fixtures.facts.busybox.configDigest
const skopeoPresent = hasSkopeo()

describe('blob redirect to presigned URLs (sqlite)', () => {
  let reg: Registry
  beforeAll(async () => {
    reg = await startRegistry('sqlite', (stack) => ({ ...stack, blobRedirectSeconds: 300 }))
    await importArchive(reg.stack, { body: fs.createReadStream(fixtures.path(fixtures.files.busybox)) })
  })
  afterAll(async () => {
    await reg?.close()
  })

  it('answers GET with 307 to a signed URL that serves the exact bytes, ranges included', async () => {
    const res = await fetch(`${reg.url}/v2/example.test/busybox/blobs/${LAYER}`, { redirect: 'manual' })
    expect(res.status).toBe(307)
    expect(res.headers.get('docker-content-digest')).toBe(LAYER)
    const location = res.headers.get('location')!
    expect(location).toContain('X-Amz-Signature=')
    const body = Buffer.from(await (await fetch(location)).arrayBuffer())
    expect(sha256(body)).toBe(LAYER)
    const part = await fetch(location, { headers: { Range: 'bytes=100-199' } })
    expect(part.status).toBe(206)
    expect(Buffer.from(await part.arrayBuffer())).toEqual(body.subarray(100, 200))
  })

  it('answers an unsatisfiable range itself with 416 instead of redirecting', async () => {
    const res = await fetch(`${reg.url}/v2/example.test/busybox/blobs/${LAYER}`, { redirect: 'manual', headers: { Range: `bytes=${LAYER_SIZE}-` } })
    expect(res.status).toBe(416)
    expect(res.headers.get('content-range')).toBe(`bytes */${LAYER_SIZE}`)
    expect(res.headers.get('location')).toBeNull()
    // a satisfiable one is redirected as usual
    expect((await fetch(`${reg.url}/v2/example.test/busybox/blobs/${LAYER}`, { redirect: 'manual', headers: { Range: 'bytes=0-9' } })).status).toBe(307)
  })

  it('still answers HEAD itself, with the size', async () => {
    const res = await fetch(`${reg.url}/v2/example.test/busybox/blobs/${LAYER}`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(LAYER_SIZE))
  })

  it.skipIf(!skopeoPresent)('lets skopeo pull through the redirects with the same image ID', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-redirect-'))
    try {
      await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/example.test/busybox:1.0`, `oci:${dir}/img:1.0`)
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'img', 'index.json'), 'utf8'))
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'img', 'blobs', ...index.manifests[0].digest.split(':')), 'utf8'))
      expect(manifest.config.digest).toBe(CONFIG)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('is refused with the embedded S3 server, which other machines cannot reach', () => {
    expect(() => loadConfig({ STOWAGE_BLOB_REDIRECT: 'true' })).toThrow(/STOWAGE_BLOB_REDIRECT needs S3_ENDPOINT/)
    expect(loadConfig({ STOWAGE_BLOB_REDIRECT: 'true', S3_ENDPOINT: 'http://s3:9000', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b' }).blobRedirectSeconds).toBe(600)
  })
})
