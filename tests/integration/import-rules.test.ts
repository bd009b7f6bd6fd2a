// Import rules that the shared fixtures do not cover, on archives built by the test: size limits,
// hostile archive structure, compressed layers, and the background "compressed" size.
import zlib from 'node:zlib'
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startStack, snapshot, type Stack } from '../helpers/stack'
import { makeDockerArchive, makeLayer, packToBuffer } from '../helpers/make-archive'
import { importArchive } from '../../lib/archive/import-archive'
import { getImageTagDetail as getTagDetail } from '../../lib/registry/queries'
import { measured } from '../helpers/jobs'

describe('import rules (sqlite)', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack('sqlite', { maxLayerBytes: 4 * 1024 * 1024, maxEntries: 50 })
  })
  afterAll(async () => {
    await stack?.close()
  })
  const upload = (archive: Buffer, name: { repository?: string; tag?: string } = {}) =>
    importArchive(stack, { body: Readable.from([archive]), ...name })

  async function expectRejected(archive: Buffer, code: string, message: RegExp) {
    const before = await snapshot(stack)
    await expect(upload(archive)).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
    expect(await snapshot(stack)).toEqual(before)
  }

  it('rejects a layer above the configured size limit from its tar header, storing nothing', async () => {
    const big = await makeLayer(5 * 1024 * 1024)
    const { archive } = await makeDockerArchive({ repoTags: ['limits/big:1'], layers: [big] })
    await expectRejected(archive, 'LAYER_TOO_LARGE', /limited to 4194304 bytes/)
  })

  it('rejects a gzip layer that expands beyond the limit while streaming', async () => {
    const layer = await makeLayer(6 * 1024 * 1024, 'text')
    const { archive } = await makeDockerArchive({ repoTags: ['limits/bomb:1'], layers: [layer], storedLayers: [zlib.gzipSync(layer)] })
    await expectRejected(archive, 'LAYER_TOO_LARGE', /larger than the limit/)
  })

  it('stores a gzip-compressed layer uncompressed under its diff_id, keeping the compressed digest', async () => {
    const layer = await makeLayer(300 * 1024, 'text')
    const gz = zlib.gzipSync(layer)
    const { archive, diffIds } = await makeDockerArchive({ repoTags: ['gz/app:1'], layers: [layer], storedLayers: [gz] })
    await upload(archive)
    const blob = await stack.db.blob.findUniqueOrThrow({ where: { digest: diffIds[0] } })
    expect(Number(blob.size)).toBe(layer.length)
    expect(blob.sourceDigest).toMatch(/^sha256:/)
    expect(blob.sourceDigest).not.toBe(diffIds[0])
  })

  it('rejects a corrupt gzip layer', async () => {
    const layer = await makeLayer(100 * 1024, 'text')
    const gz = zlib.gzipSync(layer)
    gz.fill(0x41, 100, 200)
    const { archive } = await makeDockerArchive({ repoTags: ['gz/bad:1'], layers: [layer], storedLayers: [gz] })
    await expectRejected(archive, 'CORRUPT_COMPRESSION', /not valid gzip/)
  })

  it('rejects an archive with more entries than allowed', async () => {
    const layer = await makeLayer(1024)
    const extra = Array.from({ length: 60 }, (_, i) => ({ name: `junk/${i}`, data: Buffer.from('x') }))
    const { archive } = await makeDockerArchive({ repoTags: ['many/entries:1'], layers: [layer], extraEntries: extra })
    await expectRejected(archive, 'TOO_MANY_ENTRIES', /more than 50 entries/)
  })

  it('rejects duplicate entry names', async () => {
    const layer = await makeLayer(1024)
    const { archive } = await makeDockerArchive({ repoTags: ['dup/x:1'], layers: [layer], extraEntries: [{ name: 'repositories', data: Buffer.from('{}') }, { name: 'repositories', data: Buffer.from('{}') }] })
    await expectRejected(archive, 'DUPLICATE_ENTRY', /"repositories" more than once/)
  })

  it('rejects a symlink entry that points outside the archive', async () => {
    const layer = await makeLayer(1024)
    const { archive } = await makeDockerArchive({ repoTags: ['link/out:1'], layers: [layer], extraEntries: [{ name: 'abc/layer.tar', type: 'symlink', linkname: '../../../etc/passwd' }] })
    await expectRejected(archive, 'ENTRY_PATH_INVALID', /outside the archive/)
  })

  it('rejects a layer that is a device node', async () => {
    const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: ['sha256:' + 'a'.repeat(64)] } }))
    const archive = await packToBuffer([
      { name: 'layer.tar', type: 'character-device' },
      { name: 'config.json', data: config },
      { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['dev/node:1'], Layers: ['layer.tar'] }])) },
    ])
    await expectRejected(archive, 'LAYER_NOT_REGULAR', /character-device/)
  })

  it('rejects a manifest whose layer count differs from the config', async () => {
    const a = await makeLayer(1024)
    const { archive } = await makeDockerArchive({
      repoTags: ['count/x:1'],
      layers: [a],
      editManifest: ([m]) => [{ ...m, Layers: [m.Layers[0], m.Layers[0]] }],
    })
    await expectRejected(archive, 'LAYER_COUNT_MISMATCH', /lists 2 layers but the config's rootfs has 1/)
  })

  it('shows the tag at once and computes each layer\'s gzip -6 size in the background', async () => {
    const layers = [await makeLayer(700 * 1024, 'text'), await makeLayer(300 * 1024)]
    const { archive } = await makeDockerArchive({ repoTags: ['sizes/app:1'], layers })
    await upload(archive)
    const before = await getTagDetail(stack, 'sizes/app', '1')
    expect(before!.sizes.compressedState).toBe('pending')
    expect(before!.sizes.compressed).toBeNull()

    await measured(stack) // the compressed-size jobs
    const after = await getTagDetail(stack, 'sizes/app', '1')
    const expected = layers.map((l) => zlib.gzipSync(l, { level: 6 }).length)
    expect(after!.layers.map((l) => l.compressedSize)).toEqual(expected)
    expect(after!.sizes).toMatchObject({ compressedState: 'done', compressed: expected[0] + expected[1] })
    // text compresses far better than random bytes
    expect(expected[0]).toBeLessThan(layers[0].length / 10)
    expect(expected[1]).toBeGreaterThan(layers[1].length * 0.99)
  })
})
