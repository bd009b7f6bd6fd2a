// The browser's pre-upload reading of an archive (lib/archive/preview-*), fed Blobs of archives built
// here. Where the server's answer is known, it is compared with the server's own code on the same bytes
// (readArchiveMetadata: the real reader and layout rules, storing nothing).
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import zlib from 'node:zlib'
import { describe, it, expect } from 'vitest'
import { makeDockerArchive, makeLayer, packToBuffer } from '../helpers/make-archive'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { gnuLongNameEntry, endOfArchive, makeOciLayout, tarHeader } from '../helpers/make-preview-archives'
import { previewArchive, tagChanges, tagOutcome, unnamedImages, nameableAsOne, COMPRESSED_NOTE, type ArchivePreview } from '../../lib/archive/preview-archive'
import { BlobReader, walkTar, type BlobLike } from '../../lib/archive/preview-tar'
import { ArchiveMessage } from '../../lib/archive/archive-messages'
import { readArchiveMetadata } from '../../lib/archive/dry-run'
import { nameImages } from '../../lib/archive/import-archive'
import { buildImageManifest } from '../../lib/registry/image-manifest'
import { defaultLimits } from '../../lib/config'

const blob = (b: Buffer) => new Blob([new Uint8Array(b)])
const images = (p: ArchivePreview) => {
  if (p.kind !== 'images') throw new Error(`expected images, got ${JSON.stringify(p)}`)
  return p
}
/** The manifest digests the server computes for the same archive. */
async function serverDigests(archive: Buffer) {
  const { plans } = await readArchiveMetadata(Readable.from([archive]), defaultLimits)
  return plans.map((p) => buildImageManifest({ digest: p.config.digest, size: p.config.bytes.length }, p.layers.map((l) => ({ digest: l.diffId, size: l.size }))).digest)
}
async function serverRejection(archive: Buffer) {
  try {
    const { plans } = await readArchiveMetadata(Readable.from([archive]), defaultLimits)
    nameImages(plans, {})
  } catch (e: any) {
    return { code: e.code, message: e.message }
  }
  return null
}
/** Counts the bytes a preview reads from the blob. */
function counting(b: Buffer): BlobLike & { read: number } {
  const inner = blob(b)
  const c = {
    size: inner.size,
    read: 0,
    slice(start?: number, end?: number) {
      const s = inner.slice(start, end)
      return { arrayBuffer: async () => ((c.read += s.size), s.arrayBuffer()) }
    },
  }
  return c
}

describe('upload preview: what an archive holds', () => {
  it('a tagged docker save archive: names, platform, layer count and the exact manifest digest the server records', async () => {
    const { archive, configDigest } = await makeDockerArchive({ repoTags: ['team/app:1.0', 'docker.io/team/app:latest'], layers: [await makeLayer(3000), await makeLayer(70_000, 'text')] })
    const p = images(await previewArchive(blob(archive)))
    expect(p.layout).toBe('docker-save')
    expect(p.images).toHaveLength(1)
    const img = p.images[0]
    expect(img.names).toEqual([
      { repository: 'team/app', tag: '1.0' },
      { repository: 'team/app', tag: 'latest' },
    ])
    expect(img).toMatchObject({ platform: 'linux/amd64', layers: 2, configDigest, unknown: null })
    expect(img.manifestDigest).toBe((await serverDigests(archive))[0])
    expect(unnamedImages(p)).toEqual([])
    expect(tagChanges(p, null).map((t) => `${t.repository}:${t.tag}@${t.newDigest}`)).toEqual([`team/app:1.0@${img.manifestDigest}`, `team/app:latest@${img.manifestDigest}`])
  })

  it('reads headers and small documents only, never a layer body', async () => {
    const big = await makeLayer(4 * 1024 * 1024)
    const { archive } = await makeDockerArchive({ repoTags: ['team/big:1'], layers: [big] })
    const b = counting(archive)
    const p = images(await previewArchive(b))
    expect(p.images[0].manifestDigest).toBe((await serverDigests(archive))[0])
    expect(b.read).toBeLessThan(300 * 1024) // of 4 MiB: the read-ahead windows around headers and JSON
  })

  it('an untagged archive: the image needs a name, and naming it gives the tag the same digest', async () => {
    const { archive } = await makeDockerArchive({ repoTags: null, layers: [await makeLayer(1000)] })
    const p = images(await previewArchive(blob(archive)))
    expect(unnamedImages(p)).toEqual([0])
    expect(tagChanges(p, null)).toEqual([])
    expect(tagChanges(p, { repository: 'team/named', tag: 'v1' })).toEqual([{ repository: 'team/named', tag: 'v1', newDigest: (await serverDigests(archive))[0] }])
  })

  it('a multi-image archive lists each image with its own tags and digest', async () => {
    const one = await makeDockerArchive({ repoTags: ['team/a:1'], layers: [await makeLayer(500)] })
    const two = await makeDockerArchive({ repoTags: ['team/b:2'], layers: [await makeLayer(600), await makeLayer(700)] })
    // one archive holding both images: entries of both, manifest.json listing both
    const { default: tar } = await import('tar-stream')
    const entriesOf = async (buf: Buffer) => {
      const out: { name: string; data: Buffer }[] = []
      const ex = tar.extract()
      const done = new Promise<void>((r) => ex.on('finish', () => r()))
      ex.on('entry', (h: any, s: any, next: () => void) => {
        const chunks: Buffer[] = []
        s.on('data', (c: Buffer) => chunks.push(c))
        s.on('end', () => (out.push({ name: h.name, data: Buffer.concat(chunks) }), next()))
      })
      ex.end(buf)
      await done
      return out
    }
    const a = await entriesOf(one.archive)
    const b = await entriesOf(two.archive)
    const manifest = [...JSON.parse(a.find((e) => e.name === 'manifest.json')!.data.toString()), ...JSON.parse(b.find((e) => e.name === 'manifest.json')!.data.toString())]
    const archive = await packToBuffer([...a, ...b].filter((e) => e.name !== 'manifest.json').concat([{ name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) }]))
    const p = images(await previewArchive(blob(archive)))
    expect(p.images.map((i) => [i.names.map((n) => `${n.repository}:${n.tag}`), i.layers])).toEqual([
      [['team/a:1'], 1],
      [['team/b:2'], 2],
    ])
    expect(p.images.map((i) => i.manifestDigest)).toEqual(await serverDigests(archive))
  })

  it('an OCI image layout: names from annotations, a bare ref.name as the suggested tag, platform, digests', async () => {
    const { archive } = await makeOciLayout([
      { layers: [await makeLayer(900)], annotations: { 'io.containerd.image.name': 'docker.io/team/oci:1' } },
      { layers: [await makeLayer(800), await makeLayer(100)], annotations: { 'org.opencontainers.image.ref.name': 'edge' }, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ])
    const p = images(await previewArchive(blob(archive)))
    expect(p.layout).toBe('oci-layout')
    expect(p.images.map((i) => ({ names: i.names, tagHint: i.tagHint, platform: i.platform, layers: i.layers }))).toEqual([
      { names: [{ repository: 'team/oci', tag: '1' }], tagHint: null, platform: 'linux/amd64', layers: 1 },
      { names: [], tagHint: 'edge', platform: 'linux/arm64/v8', layers: 2 },
    ])
    expect(p.images.map((i) => i.manifestDigest)).toEqual(await serverDigests(archive))
    expect(unnamedImages(p)).toEqual([1])
  })

  it('a multi-platform archive is ONE image to name: its platforms, one tag per name (the index digest comes from the server)', async () => {
    const platforms = [
      { architecture: 'amd64', layers: [{ size: 3000, gzip: false }] },
      { architecture: 'arm64', variant: 'v8', layers: [{ size: 2000, gzip: true }, { size: 100, gzip: false }] },
    ]
    const named = images(await previewArchive(blob((await makeMultiPlatformArchive({ reference: 'multi/app:1.0', platforms })).archive)))
    expect(named.index).toEqual({ names: [{ repository: 'multi/app', tag: '1.0' }], tagHint: null })
    expect(named.images.map((i) => [i.platform, i.layers])).toEqual([
      ['linux/amd64', 1],
      ['linux/arm64/v8', 2],
    ])
    expect(tagChanges(named, null)).toEqual([{ repository: 'multi/app', tag: '1.0', newDigest: null }])
    expect(unnamedImages(named)).toEqual([])
    const unnamed = images(await previewArchive(blob((await makeMultiPlatformArchive({ reference: null, platforms })).archive)))
    expect(unnamedImages(unnamed)).toEqual([0])
    expect(nameableAsOne(unnamed)).toBe(true)
    expect(tagChanges(unnamed, { repository: 'team/multi', tag: 'v1' })).toEqual([{ repository: 'team/multi', tag: 'v1', newDigest: null }])
  })

  it('entries with pax long names (paths over 100 characters) are found', async () => {
    const layer = await makeLayer(2000)
    const longDir = 'x'.repeat(200) // longer than ustar's prefix field: tar-stream writes a pax header
    const longName = `${longDir}/layer.tar`
    const { archive } = await makeDockerArchive({
      repoTags: ['team/pax:1'],
      layers: [layer],
      extraEntries: [{ name: longName, data: layer }],
      editManifest: (m) => [{ ...m[0], Layers: [longName] }],
    })
    expect(archive.includes(Buffer.from('path='))).toBe(true) // the archive really carries a pax header
    const entries = await walkTar(new BlobReader(blob(archive)))
    expect(entries.map((e) => e.path)).toContain(longName)
    const p = images(await previewArchive(blob(archive)))
    expect(p.images[0]).toMatchObject({ layers: 1, unknown: null })
    expect(p.images[0].manifestDigest).toBe((await serverDigests(archive))[0])
  })

  it('a GNU long-name entry names the entry after it', async () => {
    const name = `${'d'.repeat(150)}/file.txt`
    const archive = Buffer.concat([gnuLongNameEntry(name, Buffer.from('hello')), endOfArchive()])
    const entries = await walkTar(new BlobReader(blob(archive)))
    expect(entries).toEqual([{ path: name, type: 'file', size: 5, offset: 3 * 512, linkTarget: null }])
  })

  it('gzip: says it cannot look inside and leaves the answer to the server', async () => {
    const { archive } = await makeDockerArchive({ repoTags: ['team/gz:1'], layers: [await makeLayer(100)] })
    expect(await previewArchive(blob(zlib.gzipSync(archive)))).toEqual({ kind: 'compressed', format: 'gzip', message: COMPRESSED_NOTE })
  })

  it('compressed layers: names and layer count, but the new digest is left to the server', async () => {
    const layer = await makeLayer(3000, 'text')
    const { archive } = await makeDockerArchive({ repoTags: ['team/gzl:1'], layers: [layer], storedLayers: [zlib.gzipSync(layer)] })
    const img = images(await previewArchive(blob(archive))).images[0]
    expect(img).toMatchObject({ layers: 1, manifestDigest: null })
    expect(img.unknown).toMatch(/compressed/)
  })

  it('a manifest.json whose image has 100,000 RepoTags is read in bounded time without hanging', async () => {
    const tags = Array.from({ length: 100_000 }, (_, i) => `team/many:t${i}`)
    const { archive } = await makeDockerArchive({ repoTags: tags, layers: [await makeLayer(100)] })
    const p = images(await previewArchive(blob(archive)))
    expect(p.images[0].names).toHaveLength(100_000)
    expect(tagChanges(p, null)).toHaveLength(100_000)
  }, 30_000)
})

describe('upload preview: refusing what is plainly not an image archive, with the server\'s words', () => {
  const cases: [string, () => Promise<Buffer>][] = [
    ['an empty file', async () => Buffer.alloc(0)],
    ['a zip file', async () => Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), randomBytes(6000)])],
    ['xz', async () => Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), randomBytes(600)])],
    ['bzip2', async () => Buffer.concat([Buffer.from('BZh91AY&SY', 'latin1'), randomBytes(600)])],
    ['zstd', async () => Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), randomBytes(600)])],
    ['4 KB of random bytes', async () => randomBytes(4096)],
    ['a tar without manifest.json or index.json', async () => packToBuffer([{ name: 'hello.txt', data: Buffer.from('hi') }])],
    ['a tar that ends inside an entry', async () => (await makeDockerArchive({ repoTags: ['t/x:1'], layers: [await makeLayer(5000)] })).archive.subarray(0, 3000)],
    ['valid entries followed by garbage', async () => {
      const good = await packToBuffer([{ name: 'a.txt', data: Buffer.from('a') }, { name: 'b.txt', data: Buffer.from('b') }, { name: 'c.txt', data: Buffer.from('c') }])
      return Buffer.concat([good.subarray(0, 3 * 1024), randomBytes(1024)])
    }],
    ['an entry that climbs out with ".."', async () => packToBuffer([{ name: 'a.txt', data: Buffer.from('a') }, { name: '../../etc/evil', data: Buffer.from('x') }])],
    ['an entry with an absolute path', async () => packToBuffer([{ name: '/etc/evil', data: Buffer.from('x') }])],
    ['a symlink pointing outside', async () => packToBuffer([{ name: 'link', type: 'symlink', linkname: '../../etc/passwd' }])],
    ['the same entry twice', async () => packToBuffer([{ name: 'manifest.json', data: Buffer.from('[]') }, { name: './manifest.json', data: Buffer.from('[]') }])],
    ['a manifest.json larger than 4 MiB', async () => packToBuffer([{ name: 'manifest.json', data: Buffer.alloc(5 * 1024 * 1024, 0x20) }])],
    ['a manifest naming a config outside the archive', async () =>
      (await makeDockerArchive({ repoTags: ['t/x:1'], layers: [await makeLayer(100)], editManifest: (m) => [{ ...m[0], Config: '../../etc/passwd' }] })).archive],
    ['a manifest naming a missing config', async () =>
      (await makeDockerArchive({ repoTags: ['t/x:1'], layers: [await makeLayer(100)], editManifest: (m) => [{ ...m[0], Config: 'nothere.json' }] })).archive],
    ['a manifest naming a missing layer', async () =>
      (await makeDockerArchive({ repoTags: ['t/x:1'], layers: [await makeLayer(100)], editManifest: (m) => [{ ...m[0], Layers: ['gone/layer.tar'] }] })).archive],
    ['a manifest.json that is not JSON', async () => packToBuffer([{ name: 'manifest.json', data: Buffer.from('{"this is": not json') }])],
    ['a manifest.json nested 100 deep', async () => packToBuffer([{ name: 'manifest.json', data: Buffer.from('['.repeat(100) + ']'.repeat(100)) }])],
    ['an invalid repository name', async () => (await makeDockerArchive({ repoTags: ['Team/UPPER:1'], layers: [await makeLayer(100)] })).archive],
  ]
  for (const [what, make] of cases) {
    it(`${what}: refused at once, with the code and message the server gives`, async () => {
      const bytes = await make()
      const p = await previewArchive(blob(bytes))
      expect(p.kind).toBe('rejected')
      const server = await serverRejection(bytes)
      expect(server).not.toBeNull()
      expect(p).toEqual({ kind: 'rejected', ...server })
    })
  }

  it('uses the shared message strings', async () => {
    expect(await previewArchive(blob(Buffer.from('PK\x03\x04rest', 'latin1')))).toEqual({ kind: 'rejected', code: 'NOT_A_TAR', message: ArchiveMessage.zip })
    expect(await previewArchive(blob(randomBytes(2048)))).toEqual({ kind: 'rejected', code: 'NOT_A_TAR', message: ArchiveMessage.notATar })
    // shorter than one tar header: not a tar either (the server's reader calls this TRUNCATED until item 10 is fixed there)
    expect(await previewArchive(blob(randomBytes(100)))).toEqual({ kind: 'rejected', code: 'NOT_A_TAR', message: ArchiveMessage.notATar })
  })

  it('a pax header that claims 50 MB is refused without being read', async () => {
    const archive = Buffer.concat([tarHeader({ name: 'PaxHeader/x', size: 50 * 1024 * 1024, type: 'x' }), Buffer.alloc(2048)])
    const b = counting(archive)
    const p = await previewArchive(b)
    expect(p).toMatchObject({ kind: 'rejected', code: 'NOT_A_TAR' })
    expect((p as any).message).toMatch(/extended header/)
    expect(b.read).toBeLessThanOrEqual(archive.length)
  })

  it('a size field in base-256 is read; a header whose checksum is wrong is not trusted', async () => {
    const sizeField = Buffer.alloc(12)
    sizeField[0] = 0x80
    sizeField.writeUInt32BE(5, 8)
    const data = Buffer.concat([Buffer.from('hello'), Buffer.alloc(507)])
    const ok = Buffer.concat([tarHeader({ name: 'a.txt', size: 5, sizeField }), data, endOfArchive()])
    expect((await walkTar(new BlobReader(blob(ok))))[0]).toMatchObject({ path: 'a.txt', size: 5 })
    const bad = Buffer.from(ok)
    bad[0] ^= 1
    await expect(walkTar(new BlobReader(blob(bad)))).rejects.toMatchObject({ code: 'NOT_A_TAR' })
  })
})

describe('tag outcomes', () => {
  it('created when the tag does not exist, unchanged for the same digest, updated otherwise, unknown when the new digest is', () => {
    expect(tagOutcome(null, 'sha256:b')).toBe('created')
    expect(tagOutcome('sha256:a', 'sha256:a')).toBe('unchanged')
    expect(tagOutcome('sha256:a', 'sha256:b')).toBe('updated')
    expect(tagOutcome('sha256:a', null)).toBe('unknown')
  })
})
