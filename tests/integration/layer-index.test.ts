// The layer index (issue 13) on real parts: s3rver, SQLite and PostgreSQL, the real job queue. Layers
// are made by hand (tests/helpers/layer-tar.ts) with whiteouts, opaque directories, links, hostile and
// non-UTF-8 names, duplicates; one is not a tar at all. The index is built by the background pass after
// an archive import and after a /v2 push (gzip layer: offsets of the decompressed stream), read back
// through the API, paged, and single files are downloaded with exact bytes.
import zlib from 'node:zlib'
import v8 from 'node:v8'
import vm from 'node:vm'
import { createHash, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { measured } from '../helpers/jobs'
import { makeDockerArchive } from '../helpers/make-archive'
import { tarEntry, tarEnd, paxEntry, manyFilesLayer, generatedFileData } from '../helpers/layer-tar'
import { MediaType } from '../../lib/registry/media-types'
import { importArchive } from '../../lib/archive/import-archive'
import { deleteTag } from '../../lib/registry/queries'
import { runGc } from '../../lib/gc/run-gc'
import { IndexBuilder } from '../../lib/layers/index-builder'
import { finishIndex } from '../../lib/layers/index-state'
import { readLayerOnce } from '../../lib/analysis/layer-pass'
import { request, sha256, OCI_MANIFEST } from './oci-support'

const big = Buffer.alloc(3000, 'big file content\n')
const tiny = Buffer.from('tiny')

/** A layer with every kind of entry the index must survive. */
function hostileLayer(): Buffer {
  return Buffer.concat([
    tarEntry({ name: './', type: '5', mode: 0o755 }),
    tarEntry({ name: 'etc/', type: '5', mode: 0o755 }),
    tarEntry({ name: 'etc/passwd', mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000 }, Buffer.from('root:x:0:0\n')),
    tarEntry({ name: 'etc/.wh.shadow' }),
    tarEntry({ name: 'var/cache/.wh..wh..opq' }),
    tarEntry({ name: 'usr/bin/big', mode: 0o755, uid: 1000, gid: 1000 }, big),
    tarEntry({ name: 'usr/bin/big-link', type: '1', linkname: 'usr/bin/big' }),
    tarEntry({ name: 'usr/bin/sym', type: '2', linkname: '../../etc/passwd' }),
    tarEntry({ name: '/abs/file' }, tiny),
    tarEntry({ name: '../escape' }, tiny),
    tarEntry({ name: Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x74, 0x78, 0x74]) }, Buffer.from('non-utf8')),
    paxEntry({ path: 'unicode/\u00e9t\u00e9 "quoted".txt' }),
    tarEntry({ name: 'x' }, Buffer.from('pax named')),
    tarEntry({ name: 'dup' }, Buffer.from('first')),
    tarEntry({ name: 'dup' }, Buffer.from('second')),
    tarEntry({ name: 'dev/null', type: '3' }),
    tarEnd(),
  ])
}

/** A flat directory of `n` files, for paging. */
function flatLayer(n: number): Buffer {
  const entries: Buffer[] = []
  for (let i = 0; i < n; i++) entries.push(tarEntry({ name: `flat/f${String(i).padStart(3, '0')}` }, Buffer.alloc(i + 1, 'x')))
  return Buffer.concat([...entries, tarEnd()])
}

const notATar = Buffer.from('this is not a tar archive, only text. '.repeat(40))

describe.each(providers)('layer index (%s)', (provider) => {
  let reg: Registry
  const layers = { hostile: hostileLayer(), flat: flatLayer(250), text: notATar }
  const digest = (b: Buffer) => sha256(b)
  const api = (path: string) => request(reg.url + path)
  const json = async (path: string) => {
    const res = await api(path)
    return { status: res.status, body: await res.json() }
  }

  beforeAll(async () => {
    reg = await startRegistry(provider)
    const { archive } = await makeDockerArchive({ repoTags: ['layers/app:v1'], layers: [layers.hostile, layers.flat, layers.text] })
    await importArchive(reg.stack, { body: Readable.from([archive]) })
  }, 60_000)
  afterAll(async () => {
    await reg?.close()
  })

  it('answers 202 while the index is pending, then lists the layer after the background pass', async () => {
    const before = await json(`/api/blobs/${digest(layers.hostile)}/files`)
    expect(before).toEqual({ status: 202, body: { digest: digest(layers.hostile), state: 'pending' } })
    await measured(reg.stack)
    const row = await reg.stack.db.layerIndex.findUniqueOrThrow({ where: { digest: digest(layers.hostile) } })
    expect(row).toMatchObject({ state: 'ready', offsetsOf: 'stored', entryCount: 15, fileCount: 8 })
    expect(Number(row.fileBytes)).toBe(11 + big.length + 4 + 4 + 8 + 9 + 5 + 6)
    // the measurement ran in the same pass
    const blob = await reg.stack.db.blob.findUniqueOrThrow({ where: { digest: digest(layers.hostile) } })
    expect(blob.analysisState).toBe('done')
    expect(Number(blob.compressedSize)).toBe(zlib.gzipSync(layers.hostile, { level: 6 }).length)

    const root = await json(`/api/blobs/${digest(layers.hostile)}/files`)
    expect(root.status).toBe(200)
    expect(root.body.entries.map((e: any) => [e.name, e.type])).toEqual([
      ['..', 'dir'],
      ['abs', 'dir'],
      ['bad\\xff.txt', 'file'],
      ['dev', 'dir'],
      ['dup', 'file'],
      ['etc', 'dir'],
      ['unicode', 'dir'],
      ['usr', 'dir'],
      ['var', 'dir'],
    ])
    const byName = Object.fromEntries(root.body.entries.map((e: any) => [e.name, e]))
    expect(byName.usr).toMatchObject({ size: big.length, files: 1, implicit: true })
    expect(byName.etc).toMatchObject({ size: 11, files: 1, mode: 0o755 })
    expect(byName.dup).toMatchObject({ size: 6, duplicates: 1 })
    expect(byName['bad\\xff.txt']).toMatchObject({ nonUtf8Name: true })
    expect(root.body.totals).toEqual({ files: 8, bytes: Number(row.fileBytes) })

    const etc = await json(`/api/blobs/${digest(layers.hostile)}/files?path=/etc/`)
    expect(etc.body.entries.map((e: any) => [e.name, e.type, e.linkTarget])).toEqual([
      ['.wh.shadow', 'whiteout', 'etc/shadow'],
      ['passwd', 'file', undefined],
    ])
    expect(etc.body.entries[1]).toMatchObject({ path: 'etc/passwd', mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, size: 11 })
    const usrBin = await json(`/api/blobs/${digest(layers.hostile)}/files?path=usr/bin&sort=size`)
    expect(usrBin.body.entries.map((e: any) => [e.name, e.type, e.linkTarget ?? null, e.uid])).toEqual([
      ['big', 'file', null, 1000],
      ['big-link', 'hardlink', 'usr/bin/big', 0],
      ['sym', 'symlink', '../../etc/passwd', 0],
    ])
    const escape = await json(`/api/blobs/${digest(layers.hostile)}/files?path=..`)
    expect(escape.body.entries).toEqual([expect.objectContaining({ path: '../escape', note: 'path leaves the layer root (..)' })])
    expect((await json(`/api/blobs/${digest(layers.hostile)}/files?path=var/cache`)).body.entries[0]).toMatchObject({ type: 'opaque' })
    const search = await json(`/api/blobs/${digest(layers.hostile)}/files?q=${encodeURIComponent('ÉTÉ')}`)
    expect(search.body.entries.map((e: any) => e.path)).toEqual(['unicode/\u00e9t\u00e9 "quoted".txt'])
  }, 60_000)

  it('downloads one file with its exact bytes, name and length, and refuses what is not a regular file', async () => {
    await measured(reg.stack)
    const file = (p: string) => api(`/api/blobs/${digest(layers.hostile)}/files/${p}`)
    const res = await file('usr/bin/big')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(big.length))
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="big"; filename*=UTF-8''big`)
    expect(Buffer.from(await res.arrayBuffer())).toEqual(big)
    const unicode = await file(encodeURIComponent('unicode/\u00e9t\u00e9 "quoted".txt'))
    expect(unicode.headers.get('content-disposition')).toBe(`attachment; filename="_t_ _quoted_.txt"; filename*=UTF-8''%C3%A9t%C3%A9%20%22quoted%22.txt`)
    expect(await unicode.text()).toBe('pax named')
    expect(await (await file('dup')).text()).toBe('second')
    expect(await (await file(encodeURIComponent('bad\\xff.txt'))).text()).toBe('non-utf8')
    expect(await (await file('abs/file')).text()).toBe('tiny')

    for (const [p, status, code] of [
      ['etc', 400, 'IS_A_DIRECTORY'],
      ['usr/bin/sym', 409, 'NOT_A_REGULAR_FILE'],
      ['usr/bin/big-link', 409, 'NOT_A_REGULAR_FILE'],
      ['dev/null', 409, 'NOT_A_REGULAR_FILE'],
      ['no/such', 404, 'PATH_UNKNOWN'],
    ] as const) {
      const r = await file(p)
      expect([p, r.status, (await r.json()).error.code]).toEqual([p, status, code])
    }
  }, 60_000)

  it('pages a directory, sorted by name or by size', async () => {
    await measured(reg.stack)
    const d = digest(layers.flat)
    const pages = []
    for (let page = 1; page <= 3; page++) pages.push((await json(`/api/blobs/${d}/files?path=flat&pageSize=100&page=${page}`)).body)
    expect(pages.map((p) => p.entries.length)).toEqual([100, 100, 50])
    expect(pages[0].total).toBe(250)
    expect(pages.flatMap((p) => p.entries.map((e: any) => e.name))).toEqual(Array.from({ length: 250 }, (_, i) => `f${String(i).padStart(3, '0')}`))
    const bySize = (await json(`/api/blobs/${d}/files?path=flat&sort=size&pageSize=3`)).body
    expect(bySize.entries.map((e: any) => e.size)).toEqual([250, 249, 248])
    expect((await json(`/api/blobs/${d}/files?path=flat&page=0`)).status).toBe(400)
    expect((await json(`/api/blobs/${d}/files?path=nowhere`)).status).toBe(404)
    expect((await json(`/api/blobs/${d}/files?path=flat/f000`)).body.error.code).toBe('NOT_A_DIRECTORY')
  }, 60_000)

  it('records a layer that is not a tar as not-a-tar, without failing its image or measurement', async () => {
    await measured(reg.stack)
    const row = await reg.stack.db.layerIndex.findUniqueOrThrow({ where: { digest: digest(layers.text) } })
    expect(row).toMatchObject({ state: 'not-a-tar', objectKey: null })
    expect(row.error).toMatch(/no valid tar header at byte 0/)
    const blob = await reg.stack.db.blob.findUniqueOrThrow({ where: { digest: digest(layers.text) } })
    expect(blob.analysisState).toBe('done')
    const res = await json(`/api/blobs/${digest(layers.text)}/files`)
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(/^this layer is not a tar archive: no valid tar header/)
    expect((await json(`/api/blobs/sha256:${'0'.repeat(64)}/files`)).status).toBe(404)
    expect((await json(`/api/blobs/nonsense/files`)).status).toBe(400)
  }, 60_000)

  it('indexes a gzip layer pushed through /v2 (offsets of the decompressed stream) and serves its files', async () => {
    const tar = Buffer.concat([tarEntry({ name: 'app/' , type: '5'}), tarEntry({ name: 'app/main.js' }, Buffer.from('console.log(1)\n')), tarEntry({ name: 'app/data.bin' }, big), tarEnd()])
    const gz = zlib.gzipSync(tar)
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }))
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(gz), size: gz.length }],
      }),
    )
    for (const blob of [gz, config]) expect((await request(`${reg.url}/v2/layers/pushed/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })).status).toBe(201)
    expect((await request(`${reg.url}/v2/layers/pushed/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'Content-Type': OCI_MANIFEST } })).status).toBe(201)
    await measured(reg.stack)
    const row = await reg.stack.db.layerIndex.findUniqueOrThrow({ where: { digest: sha256(gz) } })
    expect(row).toMatchObject({ state: 'ready', offsetsOf: 'decompressed', entryCount: 3, fileCount: 2 })
    const listing = await json(`/api/blobs/${sha256(gz)}/files?path=app`)
    expect(listing.body.entries.map((e: any) => [e.name, e.size])).toEqual([
      ['data.bin', big.length],
      ['main.js', 15],
    ])
    const res = await api(`/api/blobs/${sha256(gz)}/files/app/data.bin`)
    expect(res.headers.get('content-length')).toBe(String(big.length))
    expect(Buffer.from(await res.arrayBuffer())).toEqual(big)
    expect(await (await api(`/api/blobs/${sha256(gz)}/files/app/main.js`)).text()).toBe('console.log(1)\n')
  }, 60_000)

  it('builds the index of a layer measured before indexes existed when it is asked for', async () => {
    await measured(reg.stack)
    const d = digest(layers.flat)
    await reg.stack.db.layerIndex.delete({ where: { digest: d } }) // as if measured by an older version
    expect((await json(`/api/blobs/${d}/files`)).body).toEqual({ digest: d, state: 'pending' })
    await measured(reg.stack)
    expect((await json(`/api/blobs/${d}/files?path=flat&pageSize=1`)).body).toMatchObject({ state: 'ready', total: 250 })
  }, 60_000)

  it('garbage collection deletes the index object and row with the layer', async () => {
    await measured(reg.stack)
    const d = digest(layers.hostile)
    const { objectKey } = await reg.stack.db.layerIndex.findUniqueOrThrow({ where: { digest: d } })
    expect(await reg.stack.store.stat(objectKey!)).toBeGreaterThan(0)
    expect(await deleteTag(reg.stack, 'layers/app', 'v1')).toBeTruthy()
    reg.stack.lifecycle = { gcGraceSeconds: 0 }
    const result = await runGc(reg.stack, { dryRun: false, trigger: 'manual' })
    expect(result.errors).toEqual([])
    expect(await reg.stack.db.blob.findUnique({ where: { digest: d } })).toBeNull()
    expect(await reg.stack.db.layerIndex.findUnique({ where: { digest: d } })).toBeNull()
    expect(await reg.stack.store.stat(objectKey!)).toBeNull()
    // the pushed image is still tagged: its layer keeps its index
    expect(await reg.stack.db.layerIndex.count({ where: { state: 'ready' } })).toBe(1)
  }, 60_000)

  it('counts already-compressed and compressible bytes per layer (magic bytes, extension fallback) and shows them in the API', async () => {
    // a PNG (its real 16-byte head, then arbitrary bytes) without an extension, gzip data named like
    // text, a brotli file (no magic number: its .br name decides), an ELF library and text (compressible)
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(2000, 0x5a)])
    const gz = zlib.gzipSync(Buffer.from('log line\n'.repeat(400)))
    const br = zlib.brotliCompressSync(Buffer.from('body { color: red }\n'.repeat(100)))
    const elf = Buffer.concat([Buffer.from('7f454c4602010100', 'hex'), Buffer.alloc(1500, 1)])
    const text = Buffer.from('hello, compressible world\n'.repeat(60))
    const layer = Buffer.concat([
      tarEntry({ name: 'srv/', type: '5' }),
      tarEntry({ name: 'srv/logo' }, png),
      tarEntry({ name: 'srv/events.log' }, gz),
      tarEntry({ name: 'srv/site.css.br' }, br),
      tarEntry({ name: 'usr/lib/libapp.so.1' }, elf),
      tarEntry({ name: 'srv/readme.txt' }, text),
      tarEntry({ name: 'srv/empty.png' }),
      tarEnd(),
    ])
    const { archive } = await makeDockerArchive({ repoTags: ['layers/content:v1'], layers: [layer] })
    await importArchive(reg.stack, { body: Readable.from([archive]) })
    await measured(reg.stack)
    const d = digest(layer)
    const compressed = png.length + gz.length + br.length
    const compressible = elf.length + text.length
    const row = await reg.stack.db.layerIndex.findUniqueOrThrow({ where: { digest: d } })
    expect([row.state, Number(row.compressedContentBytes), Number(row.compressibleBytes), Number(row.fileBytes)]).toEqual(['ready', compressed, compressible, compressed + compressible])

    const listing = await json(`/api/blobs/${d}/files?path=srv`)
    expect(listing.body).toMatchObject({ state: 'ready', fileBytes: compressed + compressible, compressedContentBytes: compressed, compressibleBytes: compressible })
    expect(listing.body.entries.map((e: any) => [e.name, e.compressedContent ?? false])).toEqual([
      ['empty.png', false], // no bytes: neither kind
      ['events.log', true],
      ['logo', true],
      ['readme.txt', false],
      ['site.css.br', true],
    ])
    const search = await json(`/api/blobs/${d}/files?q=libapp`)
    expect(search.body).toMatchObject({ compressedContentBytes: compressed, compressibleBytes: compressible, entries: [{ path: 'usr/lib/libapp.so.1' }] })
    expect(search.body.entries[0].compressedContent).toBeUndefined()

    // a layer indexed before these were counted keeps null (no reindex): the API says null, not 0
    await reg.stack.db.layerIndex.update({ where: { digest: d }, data: { compressedContentBytes: null, compressibleBytes: null } })
    expect((await json(`/api/blobs/${d}/files`)).body).toMatchObject({ state: 'ready', compressedContentBytes: null, compressibleBytes: null })
  }, 60_000)
})

// One database is enough here: the database holds one row whatever the size of the layer.
describe('layer index of a 100,000-file layer', () => {
  let reg: Registry
  beforeAll(async () => {
    reg = await startRegistry('sqlite')
  }, 60_000)
  afterAll(async () => {
    await reg?.close()
  })

  it('indexes every entry, lists a directory page, searches, and serves a file from deep in the layer', async () => {
    const count = 100_000
    // most files empty, every 100th of 16 bytes: 100,000 headers (~50 MiB) without 100 MB of padding
    const fileSize = 16
    const sizeOf = (i: number) => (i % 100 === 99 ? fileSize : 0)
    // written straight to the bucket (streaming) and registered as an imported layer: the import path has
    // its own tests, this one is about the background pass over many entries
    const key = `blobs/test-${randomUUID()}`
    const hash = createHash('sha256')
    let size = 0
    const counted = manyFilesLayer(count, { sizeOf, perDir: 1000 }).map((c: Buffer) => (hash.update(c), (size += c.length), c))
    await reg.stack.store.write(key, counted)
    const d = 'sha256:' + hash.digest('hex')
    const db = reg.stack.db
    const repo = await db.repository.create({ data: { name: 'layers/many' } })
    await db.blob.create({ data: { digest: d, objectKey: key, size: BigInt(size), mediaType: MediaType.ociLayer, uncompressedSize: BigInt(size), analysisState: 'pending' } })
    await db.repositoryBlob.create({ data: { repositoryId: repo.id, digest: d } })
    await measured(reg.stack)

    const row = await db.layerIndex.findUniqueOrThrow({ where: { digest: d } })
    expect(row).toMatchObject({ state: 'ready', entryCount: count + count / 1000, fileCount: count })
    expect(Number(row.fileBytes)).toBe((count / 100) * fileSize)
    const root = await (await request(`${reg.url}/api/blobs/${d}/files?pageSize=5`)).json()
    expect(root).toMatchObject({ total: 100, totals: { files: count, bytes: (count / 100) * fileSize } })
    expect(root.entries[0]).toMatchObject({ name: 'd00000', type: 'dir', files: 1000, size: 10 * fileSize })
    const deep = await (await request(`${reg.url}/api/blobs/${d}/files?path=d00099&page=2&pageSize=500`)).json()
    expect(deep.entries.map((e: any) => e.name)).toEqual(Array.from({ length: 500 }, (_, i) => `f${String(99_500 + i).padStart(7, '0')}.txt`))
    const found = await (await request(`${reg.url}/api/blobs/${d}/files?q=f0054321`)).json()
    expect(found).toMatchObject({ total: 1, entries: [{ path: 'd00054/f0054321.txt' }] })
    const last = await request(`${reg.url}/api/blobs/${d}/files/d00099/f0099999.txt`)
    expect(Buffer.from(await last.arrayBuffer())).toEqual(generatedFileData(99_999, fileSize))
  }, 60_000)

  it('keeps the heap flat while indexing 200,000 entries: entries and index lines are not kept, the index streams to the bucket', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as () => void
    const count = 200_000
    const MiB = 1024 * 1024
    // the live heap (after a full collection) every 50 chunks of the layer, while the pass runs
    const live: number[] = []
    let chunks = 0
    gc()
    const base = process.memoryUsage().heapUsed
    const layer = manyFilesLayer(count, { sizeOf: (i) => (i % 10 === 0 ? 3 : 0) }).map((c: Buffer) => {
      if (++chunks % 50 === 0) {
        gc()
        live.push(process.memoryUsage().heapUsed - base)
      }
      return c
    })
    const d = 'sha256:' + 'e'.repeat(64)
    const index = await IndexBuilder.start(reg.stack, d, 'stored')
    await readLayerOnce(layer, { compression: null, measure: false, index })
    await finishIndex(reg.stack, d, index)
    gc()
    const after = process.memoryUsage().heapUsed - base
    const row = await reg.stack.db.layerIndex.findUniqueOrThrow({ where: { digest: d } })
    expect(row).toMatchObject({ state: 'ready', entryCount: count + count / 1000, fileCount: count })
    expect(Number(row.compressibleBytes)).toBe((count / 10) * 3)
    // keeping the entries (or their lines) would hold 15 MiB and more by the end
    console.log(`heap while indexing ${count} entries: ${live.map((b) => (b / MiB).toFixed(1)).join(' ')} MiB over the start; after: ${(after / MiB).toFixed(1)} MiB`)
    expect(live.length).toBeGreaterThanOrEqual(7)
    expect(Math.max(...live)).toBeLessThan(6 * MiB)
    expect(after).toBeLessThan(4 * MiB)
    await reg.stack.store.delete([row.objectKey!])
  }, 60_000)
})
