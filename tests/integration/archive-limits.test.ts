// Issue 9 item 2 and three of item 10: what one archive may ask for (names, images, layers), what it
// may make the server inflate (gzip bombs, outer and inner), and bad input named as such.
import zlib from 'node:zlib'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startStack, snapshot, providers, type Stack } from '../helpers/stack'
import { makeDockerArchive, makeLayer, packToBuffer } from '../helpers/make-archive'
import { makeAmplifiedArchive, makeGzipLayerBomb, tarHeader } from '../helpers/hostile-archive'
import { importArchive } from '../../lib/archive/import-archive'
import { defaultLimits, type Limits } from '../../lib/config'

function uploader(stack: () => Stack) {
  const upload = (archive: Buffer, name: { repository?: string; tag?: string } = {}) => importArchive(stack(), { body: Readable.from([archive]), ...name })
  const expectRejected = async (archive: Buffer, code: string, message: RegExp) => {
    const before = await snapshot(stack())
    await expect(upload(archive)).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
    expect(await snapshot(stack())).toEqual(before)
  }
  return { upload, expectRejected }
}

describe.each(providers)('archive amplification bounds (%s)', (provider) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack(provider)
  })
  afterAll(async () => {
    await stack?.close()
  })
  const { upload, expectRejected } = uploader(() => stack)

  it('rejects an image with 100,000 RepoTags (a 2 MB manifest.json) before planning it, storing nothing', async () => {
    const archive = await makeAmplifiedArchive({ repository: 'amp/tags', tagsPerImage: 100_000 })
    await expectRejected(archive, 'TOO_MANY_TAGS', /100000 tags .*at most 100 names per image/)
  })

  it('rejects 1,000 images in one manifest.json and one layer listed 1,000 times', async () => {
    await expectRejected(await makeAmplifiedArchive({ repository: 'amp/images', images: 1000 }), 'TOO_MANY_IMAGES', /1000 images; .*at most 100/)
    await expectRejected(await makeAmplifiedArchive({ repository: 'amp/layers', layerRepeats: 1000 }), 'TOO_MANY_LAYERS', /1000 layers; at most 128/)
  })

  it('accepts an archive at every limit at once: 100 images x 100 tags, and 128 layers', async () => {
    const archive = await makeAmplifiedArchive({ repository: 'amp/at-limit', images: defaultLimits.maxImagesPerArchive, tagsPerImage: defaultLimits.maxTagsPerImage })
    const result = await upload(archive)
    expect(result.tags).toHaveLength(10_000)
    expect(result.tags.every((t) => t.status === 'created' && t.previousDigest === null)).toBe(true)
    const repo = await stack.db.repository.findUniqueOrThrow({ where: { name: 'amp/at-limit' } })
    expect(await stack.db.tag.count({ where: { repositoryId: repo.id } })).toBe(10_000)
    expect(await stack.db.tagEvent.count({ where: { repositoryId: repo.id } })).toBe(10_000)
    expect(await stack.db.manifest.count({ where: { repositoryId: repo.id } })).toBe(1) // 100 times the same image

    const deep = await upload(await makeAmplifiedArchive({ repository: 'amp/deep', layerRepeats: defaultLimits.maxLayersPerImage }))
    expect(deep.images[0].layers).toBe(128)
    const manifest = await stack.db.manifest.findFirstOrThrow({ where: { repository: { name: 'amp/deep' } }, include: { blobs: true } })
    expect(manifest.blobs).toHaveLength(129) // config + 128 positions
    // the repeated in-memory layer and the config were written once each, not once per mention
    expect(await stack.db.stagedObject.count()).toBe(0)
    const objects: string[] = []
    for await (const o of stack.store.list('')) objects.push(o.key)
    expect(objects.length).toBe(await stack.db.blob.count())
  })

  it('re-uploading an unchanged tag answers "unchanged" and adds no tag-history row', async () => {
    const { archive } = await makeDockerArchive({ repoTags: ['same/app:1'], layers: [await makeLayer(2048)] })
    expect((await upload(archive)).tags[0]).toMatchObject({ status: 'created' })
    const again = await upload(archive)
    expect(again.tags[0]).toMatchObject({ status: 'unchanged', previousDigest: again.tags[0].digest })
    const events = await stack.db.tagEvent.findMany({ where: { tag: '1', repository: { name: 'same/app' } } })
    expect(events).toHaveLength(1)
  })
})

describe('archive bounds are configurable (sqlite)', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack('sqlite', { maxTagsPerImage: 3, maxImagesPerArchive: 2, maxLayersPerImage: 4 })
  })
  afterAll(async () => {
    await stack?.close()
  })
  const { upload, expectRejected } = uploader(() => stack)

  it('applies the configured counts', async () => {
    await expectRejected(await makeAmplifiedArchive({ repository: 'cfg/a', tagsPerImage: 4 }), 'TOO_MANY_TAGS', /4 tags .*at most 3/)
    await expectRejected(await makeAmplifiedArchive({ repository: 'cfg/b', images: 3 }), 'TOO_MANY_IMAGES', /3 images; .*at most 2/)
    await expectRejected(await makeAmplifiedArchive({ repository: 'cfg/c', layerRepeats: 5 }), 'TOO_MANY_LAYERS', /5 layers; at most 4/)
    const ok = await upload(await makeAmplifiedArchive({ repository: 'cfg/d', images: 2, tagsPerImage: 3, layerRepeats: 4 }))
    expect(ok.tags).toHaveLength(6)
  })
})

describe('inflate bounds and bad input (sqlite)', () => {
  const MiB = 1024 * 1024
  const limits: Partial<Limits> = { maxInflateRatio: 20, inflateRatioAfterBytes: 2 * MiB, maxArchiveBytes: 24 * MiB }
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack('sqlite', limits)
  })
  afterAll(async () => {
    await stack?.close()
  })
  const { upload, expectRejected } = uploader(() => stack)

  it('rejects a gzip layer that inflates 1000:1 (a layer bomb below the layer size limit) while streaming', async () => {
    const archive = await makeGzipLayerBomb('bomb/layer', 200 * MiB)
    expect(archive.length).toBeLessThan(400 * 1024)
    await expectRejected(archive, 'INFLATE_RATIO_EXCEEDED', /layer "layer.tar.gz" inflates more than 20 times/)
  })

  it('rejects a .tar.gz that inflates 1000:1 while streaming', async () => {
    const tar = await packToBuffer([{ name: 'zeros.bin', data: Buffer.alloc(40 * MiB) }])
    const archive = zlib.gzipSync(tar, { level: 9 })
    await expectRejected(archive, 'INFLATE_RATIO_EXCEEDED', /the archive inflates more than 20 times/)
  })

  it('rejects an archive whose uncompressed size passes the per-archive total, and accepts one below it', async () => {
    const layers = await Promise.all([0, 1, 2].map(() => makeLayer(9 * MiB)))
    const { archive } = await makeDockerArchive({ repoTags: ['big/total:1'], layers })
    await expectRejected(archive, 'ARCHIVE_TOO_LARGE', /more than 25165824 bytes/)
    const { archive: smaller } = await makeDockerArchive({ repoTags: ['big/total:2'], layers: layers.slice(0, 2) })
    expect((await upload(smaller)).tags[0]).toMatchObject({ status: 'created' })
  })

  it('counts inflated gzip layers against the per-archive total', async () => {
    // random data barely compresses: the ratio passes, the total (tar + inflated layers) does not
    const layers = await Promise.all([0, 1].map(() => makeLayer(7 * MiB)))
    const { archive } = await makeDockerArchive({ repoTags: ['big/gz:1'], layers, storedLayers: layers.map((l) => zlib.gzipSync(l, { level: 1 })) })
    await expectRejected(archive, 'ARCHIVE_TOO_LARGE', /uncompressed tar plus inflated layers/)
  })

  it('calls 100 random bytes "not a tar archive", not a truncated one', async () => {
    await expectRejected(randomBytes(100), 'NOT_A_TAR', /not a tar archive/)
  })

  it('rejects a pax header that claims 50 MB as a bad archive before buffering it', async () => {
    const archive = Buffer.concat([tarHeader({ name: 'PaxHeaders/x', size: 50_000_000, type: 'x' }), Buffer.alloc(64 * 1024, 0x61)])
    await expectRejected(archive, 'HEADER_TOO_LARGE', /extended \(pax or long-name\) header larger than 4 MiB/)
  })
})
