// Every fixture in ../shared/fixtures through the real import pipeline, on a real S3-compatible server,
// against SQLite and PostgreSQL: good archives import and verify, bad ones fail with their own error
// code and leave the database and the bucket exactly as they were.
import fs from 'node:fs'
import { createHash } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startStack, fixture, snapshot, providers, type Stack } from '../helpers/stack'
import { importArchive } from '../../lib/archive/import-archive'
import { getImageTagDetail as getTagDetail } from '../../lib/registry/queries'

const upload = (stack: Stack, file: string, name: { repository?: string; tag?: string } = {}) =>
  importArchive(stack, { body: fs.createReadStream(fixture(file)), filename: file, ...name })

async function readObject(stack: Stack, digest: string) {
  const blob = await stack.db.blob.findUniqueOrThrow({ where: { digest } })
  const chunks: Buffer[] = []
  for await (const c of await stack.store.read(blob.objectKey)) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex')

const BUSYBOX_CONFIG = 'sha256:11def56894d4ff0495f3c7024f7b07a6e94cd34edc54b2cd8b2614bbe7c6c002'
const BUSYBOX_LAYERS = [
  'sha256:78ebc6c5a7c504a23240f285801dce34274adf9a025aa1bb64ca1c471f6b5899',
  'sha256:36d91fa376d3efed5a09396edcfbd9e0f1bff43b65681dbba88e8b4d15e47da7',
]

describe.each(providers)('import fixtures (%s)', (provider) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack(provider)
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('imports the skopeo docker-archive: config byte-exact, layers uncompressed and content-addressed', async () => {
    const r = await upload(stack, 'generated/01-busybox-2layer.docker-archive.tar')
    expect(r.tags).toEqual([expect.objectContaining({ repository: 'example.test/busybox', tag: '1.0', status: 'created' })])
    expect(r.images[0].configDigest).toBe(BUSYBOX_CONFIG)
    expect(r.receivedBytes).toBe(fs.statSync(fixture('generated/01-busybox-2layer.docker-archive.tar')).size)
    const detail = await getTagDetail(stack, 'example.test/busybox', '1.0')
    expect(detail!.layers.map((l) => l.digest)).toEqual(BUSYBOX_LAYERS)
    expect(detail!.layers.map((l) => l.uncompressedSize)).toEqual([2078720, 122880])
    expect(detail!.sizes.uncompressed).toBe(2201600)
    expect(detail!.sizes.packed).toBe(2212352)
    expect(detail!.platform).toEqual({ os: 'linux', architecture: 'amd64', variant: null })
    // what is stored is exactly what the digests say
    expect(sha(await readObject(stack, BUSYBOX_CONFIG))).toBe(BUSYBOX_CONFIG)
    for (const d of BUSYBOX_LAYERS) expect(sha(await readObject(stack, d))).toBe(d)
    // the recorded manifest is an OCI manifest with uncompressed layers, ready for `docker pull`
    const m = await stack.db.manifest.findFirstOrThrow({ where: { digest: r.tags[0].digest } })
    const manifest = JSON.parse(Buffer.from(m.content).toString())
    expect(sha(Buffer.from(m.content))).toBe(m.digest)
    expect(manifest.config).toEqual({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: BUSYBOX_CONFIG, size: 702 })
    expect(manifest.layers.map((l: any) => [l.mediaType, l.digest, l.size])).toEqual([
      ['application/vnd.oci.image.layer.v1.tar', BUSYBOX_LAYERS[0], 2078720],
      ['application/vnd.oci.image.layer.v1.tar', BUSYBOX_LAYERS[1], 122880],
    ])
    expect(await stack.db.stagedObject.count()).toBe(0)
  })

  it.each([
    ['generated/04-busybox-2layer.docker-archive.tar.gz', {}],
    ['generated/06-busybox-docker25.tar', {}],
    ['generated/02-busybox-2layer.oci-archive.tar', { repository: 'example.test/busybox', tag: '1.0' }],
  ])('%s is the same image as 01 and stores nothing new', async (file, name) => {
    const before = await snapshot(stack)
    const r = await upload(stack, file, name)
    expect(r.images[0].configDigest).toBe(BUSYBOX_CONFIG)
    expect(r.tags[0]).toMatchObject({ repository: 'example.test/busybox', tag: '1.0', status: 'unchanged' })
    const after = await snapshot(stack)
    expect(after.objects).toEqual(before.objects)
    expect(after.blobs).toEqual(before.blobs)
  })

  it('keeps the compressed digest of gzip layers from an OCI archive', async () => {
    const layer = await stack.db.blob.findUniqueOrThrow({ where: { digest: BUSYBOX_LAYERS[0] } })
    // 01 stored it first (uncompressed, no source digest); the OCI archive matched it by diff_id
    expect(Number(layer.size)).toBe(2078720)
    const r = await upload(stack, 'generated/02-busybox-2layer.oci-archive.tar', { repository: 'oci/busybox', tag: 'x' })
    expect(r.images[0].uncompressedSize).toBe(2201600)
    // packed (the archive with gzip layers) is smaller than uncompressed
    expect(r.images[0].packedSize).toBeLessThan(r.images[0].uncompressedSize)
  })

  it('imports a 3-layer image with two tags; the shared base layer is stored once', async () => {
    const objectsBefore = (await snapshot(stack)).objects.length
    const r = await upload(stack, 'generated/03-web-3layer.docker-archive.tar')
    expect(r.tags.map((t) => `${t.repository}:${t.tag}`)).toEqual(['example.test/web:2.0', 'example.test/web:latest'])
    // config + 2 new layers; the base layer 78ebc6c5 is already stored
    expect((await snapshot(stack)).objects.length).toBe(objectsBefore + 3)
    expect(await stack.db.blob.count({ where: { digest: BUSYBOX_LAYERS[0] } })).toBe(1)
  })

  it('imports both images of a multi-image archive', async () => {
    const r = await upload(stack, 'generated/03b-multi-image.docker-archive.tar', {})
    expect(r.images).toHaveLength(2)
    expect(r.tags.map((t) => `${t.repository}:${t.tag}:${t.status}`)).toEqual([
      'example.test/busybox:1.0:unchanged',
      'example.test/web:2.0:unchanged',
      'example.test/web:latest:unchanged',
    ])
  })

  it('asks for a name for an untagged image, and imports it once named', async () => {
    const before = await snapshot(stack)
    await expect(upload(stack, 'generated/05-busybox-untagged.docker-archive.tar')).rejects.toMatchObject({ code: 'NAME_REQUIRED' })
    expect(await snapshot(stack)).toEqual(before)
    const r = await upload(stack, 'generated/05-busybox-untagged.docker-archive.tar', { repository: 'named/busybox', tag: 'v1' })
    expect(r.tags[0]).toMatchObject({ repository: 'named/busybox', tag: 'v1', status: 'created' })
  })

  it('rejects an invalid repository name with the reason', async () => {
    await expect(upload(stack, 'generated/05-busybox-untagged.docker-archive.tar', { repository: 'Bad Name' })).rejects.toMatchObject({
      code: 'NAME_INVALID',
      message: expect.stringContaining('upper-case'),
    })
  })

  it('stores a layer with hostile content byte-exact, without interpreting it', async () => {
    const r = await upload(stack, 'generated/08-hostile-layer-content.docker-archive.tar')
    expect(r.tags[0]).toMatchObject({ repository: 'example.test/links', tag: '1' })
    const detail = await getTagDetail(stack, 'example.test/links', '1')
    for (const l of detail!.layers) expect(sha(await readObject(stack, l.digest))).toBe(l.digest)
  })

  it.each([
    ['real/dive_test-docker-image.tar', {}, ['dive-test:latest'], 14],
    ['real/go-containerregistry_test_link.tar', {}, ['bazel/v1/tarball:test_image_1', 'bazel/v1/tarball:test_image_3'], 2],
    ['real/go-containerregistry_test_bundle.tar', {}, ['test_image_2:latest', 'test_image_1:latest'], 1],
    ['real/go-containerregistry_hello-world-v25.tar', { repository: 'hello-world', tag: 'v25' }, ['hello-world:v25'], 1],
    ['real/dive_test-oci-uncompressed-image.tar', { repository: 'dive/oci' }, ['dive/oci:latest'], 1],
    ['real/osv-scalibr_basic.tar', {}, ['basic:latest'], 2],
    ['real/osv-scalibr_symlink-attack.tar', {}, ['symlink-attack:latest'], 1],
    ['real/trivy_alpine-310.tar.gz', {}, ['alpine:3.10'], 1],
  ])('imports the real archive %s', async (file, name, tags, lastImageLayers) => {
    const r = await upload(stack, file, name)
    expect(r.tags.map((t) => `${t.repository}:${t.tag}`)).toEqual(tags)
    expect(r.images[r.images.length - 1].layers).toBe(lastImageLayers)
  })

  it('records the platform of an arm64 image', async () => {
    const detail = await getTagDetail(stack, 'hello-world', 'v25')
    expect(detail!.platform.architecture).toBe('arm64')
  })

  it('needs a name for the Docker 25 image saved by ID', async () => {
    await expect(upload(stack, 'real/go-containerregistry_hello-world-v25.tar')).rejects.toMatchObject({ code: 'NAME_REQUIRED' })
  })

  it('overwrites a tag on re-upload and keeps the previous digest in the history', async () => {
    await upload(stack, 'real/osv-scalibr_basic.tar', { repository: 'rewrite/me', tag: 'v1' })
    const r = await upload(stack, 'real/trivy_alpine-310.tar.gz', { repository: 'rewrite/me', tag: 'v1' })
    expect(r.tags[0].status).toBe('updated')
    expect(r.tags[0].previousDigest).toMatch(/^sha256:/)
    const detail = await getTagDetail(stack, 'rewrite/me', 'v1')
    expect(detail!.tagHistory.map((h) => h.digest)).toEqual([r.tags[0].digest, r.tags[0].previousDigest])
  })

  it('rejects a truncated archive whatever the read chunk size, without hanging', async () => {
    // regression: when the tar broke while the database was being written, the layer upload waited forever
    const before = await snapshot(stack)
    for (let kib = 1; kib <= 64; kib += 3) {
      const body = fs.createReadStream(fixture('bad/truncated-mid-layer.tar'), { highWaterMark: kib * 1024 })
      await expect(importArchive(stack, { body })).rejects.toMatchObject({ code: 'TRUNCATED' })
    }
    expect(await snapshot(stack)).toEqual(before)
  })

  it.each([
    ['real/go-containerregistry_null_manifest.tar', 'MANIFEST_INVALID', /null/],
    ['bad/empty.tar', 'EMPTY_UPLOAD', /empty/],
    ['bad/random-bytes.bin', 'NOT_A_TAR', /not a tar/],
    ['bad/not-a-tar.zip', 'NOT_A_TAR', /zip/],
    ['bad/truncated-mid-layer.tar', 'TRUNCATED', /ends unexpectedly/],
    ['bad/layer-digest-mismatch.tar', 'LAYER_DIGEST_MISMATCH', /78ebc6c5a7c504a23240f285801dce34274adf9a025aa1bb64ca1c471f6b5899\.tar/],
    ['bad/missing-config.tar', 'CONFIG_MISSING', /11def568/],
    ['bad/missing-layer.tar', 'LAYER_MISSING', /36d91fa3/],
    ['bad/outer-path-traversal.tar', 'ENTRY_PATH_INVALID', /\.\./],
    ['bad/manifest-ref-traversal.tar', 'REFERENCE_INVALID', /outside the archive/],
    ['bad/tar-bomb-200k-entries.tar.gz', 'TOO_MANY_ENTRIES', /more than 20000 entries/],
    ['bad/manifest-50MB-nested-arrays.tar.gz', 'JSON_TOO_LARGE', /manifest\.json is 50000000 bytes/],
  ])('rejects %s with %s and changes nothing', async (file, code, message) => {
    const before = await snapshot(stack)
    await expect(upload(stack, file)).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
    expect(await snapshot(stack)).toEqual(before)
    const failed = await stack.db.upload.findFirstOrThrow({ where: { filename: file }, orderBy: { createdAt: 'desc' } })
    expect(failed).toMatchObject({ state: 'failed', errorCode: code })
  })
})
