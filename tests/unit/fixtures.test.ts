// The generated test archives say what their facts say (so expectations computed from the facts are
// right), and the shared real-world fixtures are found exactly where configured, or reported absent.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { createHash } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import tar from 'tar-stream'
import { fixtures, sharedFixturesDir } from '../helpers/fixtures'

const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex')

async function entries(file: string): Promise<Map<string, { type: string; data: Buffer; linkname?: string | null }>> {
  const out = new Map<string, { type: string; data: Buffer; linkname?: string | null }>()
  const extract = tar.extract()
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = []
    stream.on('data', (c) => chunks.push(c as Buffer))
    stream.on('end', () => {
      out.set(header.name, { type: header.type ?? 'file', data: Buffer.concat(chunks), linkname: header.linkname })
      next()
    })
  })
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve).on('error', reject)
    const body = fs.createReadStream(file)
    ;(file.endsWith('.gz') ? body.pipe(zlib.createGunzip()) : body).pipe(extract)
  })
  return out
}

describe('generated fixtures', () => {
  const F = fixtures.files
  const busybox = fixtures.facts.busybox

  it('every archive exists with the size its facts give', () => {
    for (const [name, facts] of Object.entries(fixtures.facts.archives)) expect(fs.statSync(fixtures.path(name)).size, name).toBe(facts.size)
    expect(Object.keys(fixtures.facts.archives).sort()).toEqual(Object.values(F).sort())
  })

  it('the docker-archive holds the config and layers the facts name, legacy layer.tar entries are symlinks', async () => {
    const e = await entries(fixtures.path(F.busybox))
    const [manifest] = JSON.parse(e.get('manifest.json')!.data.toString())
    expect(manifest.RepoTags).toEqual(busybox.repoTags)
    expect(sha256(e.get(manifest.Config)!.data)).toBe(busybox.configDigest)
    expect(manifest.Layers.map((l: string) => sha256(e.get(l)!.data))).toEqual(busybox.diffIds)
    expect(manifest.Layers.map((l: string) => e.get(l)!.data.length)).toEqual(busybox.layerSizes)
    const config = JSON.parse(e.get(manifest.Config)!.data.toString())
    expect(config.rootfs.diff_ids).toEqual(busybox.diffIds)
    expect(config.history.map((h: any) => h.created_by)).toEqual(busybox.createdBy)
    const legacy = [...e.entries()].filter(([name]) => name.endsWith('/layer.tar'))
    expect(legacy.map(([, v]) => [v.type, v.linkname])).toEqual(busybox.diffIds.map((d) => ['symlink', `../${d.slice(7)}.tar`]))
  })

  it('the OCI archive carries gzip layers whose contents are the same diff_ids, and the .tar.gz is the same archive', async () => {
    const e = await entries(fixtures.path(F.busyboxOci))
    const index = JSON.parse(e.get('index.json')!.data.toString())
    const manifest = JSON.parse(e.get(`blobs/sha256/${index.manifests[0].digest.slice(7)}`)!.data.toString())
    expect(manifest.config.digest).toBe(busybox.configDigest)
    expect(manifest.layers.map((l: any) => l.mediaType)).toEqual(Array(2).fill('application/vnd.oci.image.layer.v1.tar+gzip'))
    expect(manifest.layers.map((l: any) => sha256(zlib.gunzipSync(e.get(`blobs/sha256/${l.digest.slice(7)}`)!.data)))).toEqual(busybox.diffIds)
    const gz = await entries(fixtures.path(F.busyboxGzip))
    expect(JSON.parse(gz.get('manifest.json')!.data.toString())[0].Layers.map((l: string) => sha256(gz.get(l)!.data))).toEqual(busybox.diffIds)
  })

  it('the web image shares its base layer with busybox', () => {
    expect(fixtures.facts.web.diffIds[0]).toBe(busybox.diffIds[0])
    expect(fixtures.facts.web.repoTags).toEqual(['example.test/web:2.0', 'example.test/web:latest'])
  })
})

describe('shared fixtures location', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-shared-'))
  const checkout = path.join(tmp, 'repo')
  const shared = path.join(tmp, 'shared', 'fixtures')

  it('is absent when neither STOWAGE_FIXTURES nor ../shared/fixtures exists', () => {
    fs.mkdirSync(checkout, { recursive: true })
    expect(sharedFixturesDir({}, checkout)).toBeNull()
    expect(sharedFixturesDir({ STOWAGE_FIXTURES: '/nonexistent' }, checkout)).toBeNull()
  })

  it('is ../shared/fixtures beside the checkout, or where STOWAGE_FIXTURES says', () => {
    fs.mkdirSync(path.join(shared, 'real'), { recursive: true })
    expect(sharedFixturesDir({}, checkout)).toBe(shared)
    expect(sharedFixturesDir({ STOWAGE_FIXTURES: '/nonexistent' }, checkout)).toBeNull()
    const elsewhere = path.join(tmp, 'elsewhere')
    fs.mkdirSync(path.join(elsewhere, 'real'), { recursive: true })
    expect(sharedFixturesDir({ STOWAGE_FIXTURES: elsewhere }, checkout)).toBe(elsewhere)
    fs.rmSync(tmp, { recursive: true, force: true })
  })
})
