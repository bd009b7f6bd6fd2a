// Every archive kind through the real import pipeline, on a real S3-compatible server, against SQLite
// and PostgreSQL: good archives import and verify, bad ones fail with their own error code and leave the
// database and the bucket exactly as they were. The archives are generated (tests/fixtures/generate.ts);
// the team's real-world archives in ../shared/fixtures run too when that folder is present.
import fs from 'node:fs'
import { createHash } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startStack, snapshot, providers, type Stack } from '../helpers/stack'
import { fixtures, sharedFixture, sharedFixturesPresent } from '../helpers/fixtures'
import { importArchive } from '../../lib/archive/import-archive'
import { getImageTagDetail as getTagDetail } from '../../lib/registry/queries'

const F = fixtures.files
const upload = (stack: Stack, file: string, name: { repository?: string; tag?: string } = {}) =>
  importArchive(stack, { body: fs.createReadStream(fixtures.path(file)), filename: file, ...name })
const uploadShared = (stack: Stack, file: string, name: { repository?: string; tag?: string } = {}) =>
  importArchive(stack, { body: fs.createReadStream(sharedFixture(file)), filename: file, ...name })

async function readObject(stack: Stack, digest: string) {
  const blob = await stack.db.blob.findUniqueOrThrow({ where: { digest } })
  const chunks: Buffer[] = []
  for await (const c of await stack.store.read(blob.objectKey)) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex')
const short = (d: string) => d.slice(7, 15)
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const BUSYBOX = fixtures.facts.busybox
const BUSYBOX_CONFIG = BUSYBOX.configDigest
const BUSYBOX_LAYERS = BUSYBOX.diffIds
const BAD = fixtures.facts.bad

describe.each(providers)('import fixtures (%s)', (provider) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack(provider)
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('imports the skopeo docker-archive: config byte-exact, layers uncompressed and content-addressed', async () => {
    const r = await upload(stack, F.busybox)
    expect(r.tags).toEqual([expect.objectContaining({ repository: 'example.test/busybox', tag: '1.0', status: 'created' })])
    expect(r.images[0].configDigest).toBe(BUSYBOX_CONFIG)
    expect(r.receivedBytes).toBe(fixtures.size(F.busybox))
    const detail = await getTagDetail(stack, 'example.test/busybox', '1.0')
    expect(detail!.layers.map((l) => l.digest)).toEqual(BUSYBOX_LAYERS)
    expect(detail!.layers.map((l) => l.uncompressedSize)).toEqual(BUSYBOX.layerSizes)
    expect(detail!.sizes.uncompressed).toBe(BUSYBOX.uncompressedSize)
    expect(detail!.sizes.packed).toBe(fixtures.size(F.busybox))
    expect(detail!.platform).toEqual({ os: 'linux', architecture: 'amd64', variant: null })
    // what is stored is exactly what the digests say
    expect(sha(await readObject(stack, BUSYBOX_CONFIG))).toBe(BUSYBOX_CONFIG)
    for (const d of BUSYBOX_LAYERS) expect(sha(await readObject(stack, d))).toBe(d)
    // the recorded manifest is an OCI manifest with uncompressed layers, ready for `docker pull`
    const m = await stack.db.manifest.findFirstOrThrow({ where: { digest: r.tags[0].digest } })
    const manifest = JSON.parse(Buffer.from(m.content).toString())
    expect(sha(Buffer.from(m.content))).toBe(m.digest)
    expect(manifest.config).toEqual({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: BUSYBOX_CONFIG, size: BUSYBOX.configSize })
    expect(manifest.layers.map((l: any) => [l.mediaType, l.digest, l.size])).toEqual([
      ['application/vnd.oci.image.layer.v1.tar', BUSYBOX_LAYERS[0], BUSYBOX.layerSizes[0]],
      ['application/vnd.oci.image.layer.v1.tar', BUSYBOX_LAYERS[1], BUSYBOX.layerSizes[1]],
    ])
    expect(await stack.db.stagedObject.count()).toBe(0)
  })

  it.each([
    [F.busyboxGzip, {}],
    [F.docker25, {}],
    [F.busyboxOci, { repository: 'example.test/busybox', tag: '1.0' }],
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
    expect(Number(layer.size)).toBe(BUSYBOX.layerSizes[0])
    const r = await upload(stack, F.busyboxOci, { repository: 'oci/busybox', tag: 'x' })
    expect(r.images[0].uncompressedSize).toBe(BUSYBOX.uncompressedSize)
    // packed (the archive with gzip layers) is smaller than uncompressed
    expect(r.images[0].packedSize).toBeLessThan(r.images[0].uncompressedSize)
  })

  it('imports a 3-layer image with two tags; the shared base layer is stored once', async () => {
    const objectsBefore = (await snapshot(stack)).objects.length
    const r = await upload(stack, F.web)
    expect(r.tags.map((t) => `${t.repository}:${t.tag}`)).toEqual(['example.test/web:2.0', 'example.test/web:latest'])
    // config + 2 new layers; the base layer (01's first layer) is already stored
    expect((await snapshot(stack)).objects.length).toBe(objectsBefore + 3)
    expect(await stack.db.blob.count({ where: { digest: BUSYBOX_LAYERS[0] } })).toBe(1)
  })

  it('imports both images of a multi-image archive', async () => {
    const r = await upload(stack, F.multiImage, {})
    expect(r.images).toHaveLength(2)
    expect(r.tags.map((t) => `${t.repository}:${t.tag}:${t.status}`)).toEqual([
      'example.test/busybox:1.0:unchanged',
      'example.test/web:2.0:unchanged',
      'example.test/web:latest:unchanged',
    ])
  })

  it('asks for a name for an untagged image, and imports it once named', async () => {
    const before = await snapshot(stack)
    await expect(upload(stack, F.untagged)).rejects.toMatchObject({ code: 'NAME_REQUIRED' })
    expect(await snapshot(stack)).toEqual(before)
    const r = await upload(stack, F.untagged, { repository: 'named/busybox', tag: 'v1' })
    expect(r.tags[0]).toMatchObject({ repository: 'named/busybox', tag: 'v1', status: 'created' })
  })

  it('rejects an invalid repository name with the reason', async () => {
    await expect(upload(stack, F.untagged, { repository: 'Bad Name' })).rejects.toMatchObject({
      code: 'NAME_INVALID',
      message: expect.stringContaining('upper-case'),
    })
  })

  it('stores a layer with hostile content byte-exact, without interpreting it', async () => {
    const r = await upload(stack, F.hostile)
    expect(r.tags[0]).toMatchObject({ repository: 'example.test/links', tag: '1' })
    const detail = await getTagDetail(stack, 'example.test/links', '1')
    for (const l of detail!.layers) expect(sha(await readObject(stack, l.digest))).toBe(l.digest)
  })

  it('imports a classic docker save (<id>/layer.tar directories)', async () => {
    const r = await upload(stack, F.basic)
    expect(r.tags.map((t) => `${t.repository}:${t.tag}`)).toEqual(fixtures.facts.basic.repoTags)
    expect(r.images[0].configDigest).toBe(fixtures.facts.basic.configDigest)
    const detail = await getTagDetail(stack, 'basic', 'latest')
    expect(detail!.layers.map((l) => l.digest)).toEqual(fixtures.facts.basic.diffIds)
  })

  it('records the platform of an arm64 image, which a Docker 25 save by ID gives no name', async () => {
    await expect(upload(stack, F.arm64ById)).rejects.toMatchObject({ code: 'NAME_REQUIRED' })
    await upload(stack, F.arm64ById, { repository: 'hello-world', tag: 'v25' })
    const detail = await getTagDetail(stack, 'hello-world', 'v25')
    expect(detail!.platform).toEqual(fixtures.facts.arm64.platform)
    expect(detail!.platform.architecture).toBe('arm64')
  })

  it('overwrites a tag on re-upload and keeps the previous digest in the history', async () => {
    await upload(stack, F.basic, { repository: 'rewrite/me', tag: 'v1' })
    const r = await upload(stack, F.busyboxGzip, { repository: 'rewrite/me', tag: 'v1' })
    expect(r.tags[0].status).toBe('updated')
    expect(r.tags[0].previousDigest).toMatch(/^sha256:/)
    const detail = await getTagDetail(stack, 'rewrite/me', 'v1')
    expect(detail!.tagHistory.map((h) => h.digest)).toEqual([r.tags[0].digest, r.tags[0].previousDigest])
  })

  it('rejects a truncated archive whatever the read chunk size, without hanging', async () => {
    // regression: when the tar broke while the database was being written, the layer upload waited forever
    const before = await snapshot(stack)
    for (let kib = 1; kib <= 64; kib += 3) {
      const body = fs.createReadStream(fixtures.path(F.truncated), { highWaterMark: kib * 1024 })
      await expect(importArchive(stack, { body })).rejects.toMatchObject({ code: 'TRUNCATED' })
    }
    expect(await snapshot(stack)).toEqual(before)
  })

  it.each([
    [F.nullManifest, 'MANIFEST_INVALID', /null/],
    [F.empty, 'EMPTY_UPLOAD', /empty/],
    [F.randomBytes, 'NOT_A_TAR', /not a tar/],
    [F.zip, 'NOT_A_TAR', /zip/],
    [F.truncated, 'TRUNCATED', /ends unexpectedly/],
    [F.digestMismatch, 'LAYER_DIGEST_MISMATCH', new RegExp(esc(BAD.mismatchLayerEntry))],
    [F.missingConfig, 'CONFIG_MISSING', new RegExp(short(BAD.missingConfigDigest))],
    [F.missingLayer, 'LAYER_MISSING', new RegExp(short(BAD.missingLayerDiffId))],
    [F.outerTraversal, 'ENTRY_PATH_INVALID', /\.\./],
    [F.refTraversal, 'REFERENCE_INVALID', /outside the archive/],
    [F.tarBomb, 'TOO_MANY_ENTRIES', /more than 20000 entries/],
    [F.nestedManifest, 'JSON_TOO_LARGE', new RegExp(`manifest\\.json is ${BAD.nestedManifestBytes} bytes`)],
  ])('rejects %s with %s and changes nothing', async (file, code, message) => {
    const before = await snapshot(stack)
    await expect(upload(stack, file)).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
    expect(await snapshot(stack)).toEqual(before)
    const failed = await stack.db.upload.findFirstOrThrow({ where: { filename: file }, orderBy: { createdAt: 'desc' } })
    expect(failed).toMatchObject({ state: 'failed', errorCode: code })
  })
})

// The team's archives in ../shared/fixtures: real `docker save` output of several Docker versions and
// tools, and the skopeo/umoci-made originals of the generated cases above (extra coverage when present).
const SHARED_BUSYBOX_CONFIG = 'sha256:11def56894d4ff0495f3c7024f7b07a6e94cd34edc54b2cd8b2614bbe7c6c002'

describe.skipIf(!sharedFixturesPresent()).each(providers)('import the shared real-world archives (%s)', (provider) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack(provider)
  })
  afterAll(async () => {
    await stack?.close()
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
    const r = await uploadShared(stack, file, name)
    expect(r.tags.map((t) => `${t.repository}:${t.tag}`)).toEqual(tags)
    expect(r.images[r.images.length - 1].layers).toBe(lastImageLayers)
  })

  it('records the platform of an arm64 image', async () => {
    const detail = await getTagDetail(stack, 'hello-world', 'v25')
    expect(detail!.platform.architecture).toBe('arm64')
  })

  it('needs a name for the Docker 25 image saved by ID', async () => {
    await expect(uploadShared(stack, 'real/go-containerregistry_hello-world-v25.tar')).rejects.toMatchObject({ code: 'NAME_REQUIRED' })
  })

  it('overwrites a tag on re-upload with a real archive and keeps the previous digest in the history', async () => {
    await uploadShared(stack, 'real/osv-scalibr_basic.tar', { repository: 'rewrite/me', tag: 'v1' })
    const r = await uploadShared(stack, 'real/trivy_alpine-310.tar.gz', { repository: 'rewrite/me', tag: 'v1' })
    expect(r.tags[0].status).toBe('updated')
    const detail = await getTagDetail(stack, 'rewrite/me', 'v1')
    expect(detail!.tagHistory.map((h) => h.digest)).toEqual([r.tags[0].digest, r.tags[0].previousDigest])
  })

  it.each([
    ['generated/01-busybox-2layer.docker-archive.tar', {}],
    ['generated/02-busybox-2layer.oci-archive.tar', { repository: 'example.test/busybox', tag: '1.0' }],
    ['generated/03b-multi-image.docker-archive.tar', {}],
    ['generated/04-busybox-2layer.docker-archive.tar.gz', {}],
    ['generated/06-busybox-docker25.tar', {}],
    ['generated/08-hostile-layer-content.docker-archive.tar', {}],
  ])('imports the skopeo/umoci-made %s', async (file, name) => {
    const r = await uploadShared(stack, file, name)
    if (!file.includes('08-')) expect(r.images[0].configDigest).toBe(SHARED_BUSYBOX_CONFIG)
    for (const t of r.tags) {
      const detail = await getTagDetail(stack, t.repository, t.tag)
      for (const l of detail!.layers) expect(sha(await readObject(stack, l.digest))).toBe(l.digest)
    }
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
  ])('rejects the shared %s with %s and changes nothing', async (file, code, message) => {
    const before = await snapshot(stack)
    await expect(uploadShared(stack, file)).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
    expect(await snapshot(stack)).toEqual(before)
  })
})
