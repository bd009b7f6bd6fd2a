// Small archives that ask the server for a lot of work or storage (issue 9, item 2): many tags for
// one image, many images in one manifest.json, one layer listed many times, gzip bombs. Built in
// memory by the tests that need them; every one is a few KB to a few hundred KB.
import zlib from 'node:zlib'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { packToBuffer, makeLayer } from './make-archive'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

function configFor(diffIds: string[]) {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }))
}

/**
 * A docker-save archive of one small layer and `images` manifest.json items (all the same image),
 * each carrying `tagsPerImage` RepoTags and listing the layer `layerRepeats` times.
 */
export async function makeAmplifiedArchive(opts: {
  repository: string
  images?: number
  tagsPerImage?: number
  layerRepeats?: number
}): Promise<Buffer> {
  const { images = 1, tagsPerImage = 1, layerRepeats = 1 } = opts
  const layer = await makeLayer(1024, 'text')
  const diffId = `sha256:${sha(layer)}`
  const config = configFor(Array(layerRepeats).fill(diffId))
  const configName = `${sha(config)}.json`
  const layerName = `${sha(layer)}.tar`
  const manifest = Array.from({ length: images }, (_, i) => ({
    Config: configName,
    RepoTags: Array.from({ length: tagsPerImage }, (_, j) => `${opts.repository}:i${i}-t${j}`),
    Layers: Array(layerRepeats).fill(layerName),
  }))
  return packToBuffer([
    { name: layerName, data: layer },
    { name: configName, data: config },
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
  ])
}

/** Streams gzip of `bytes` zeros without holding them: the data of a compression bomb. */
export async function gzipZeros(bytes: number, level = 9): Promise<Buffer> {
  const zeros = Buffer.alloc(1024 * 1024)
  async function* source() {
    for (let left = bytes; left > 0; left -= zeros.length) yield left >= zeros.length ? zeros : zeros.subarray(0, left)
  }
  const chunks: Buffer[] = []
  for await (const c of Readable.from(source()).pipe(zlib.createGzip({ level }))) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/**
 * A docker-save archive whose one layer is a gzip of a tar holding `zeroBytes` zeros: tiny in the
 * archive, huge once inflated. The diff_id is right, so only a bound on inflation can stop it.
 */
export async function makeGzipLayerBomb(repository: string, zeroBytes: number): Promise<Buffer> {
  // A tar of one file of zeroBytes zeros: its header, the zeros, padding, two end blocks.
  const head = tarHeader({ name: 'zeros.bin', size: zeroBytes })
  const padding = (512 - (zeroBytes % 512)) % 512
  const tarSize = 512 + zeroBytes + padding + 1024
  // diff_id = sha256 of the uncompressed tar, computed by streaming the same bytes
  const hash = createHash('sha256').update(head)
  const zeros = Buffer.alloc(1024 * 1024)
  for (let left = zeroBytes + padding + 1024; left > 0; left -= zeros.length) hash.update(left >= zeros.length ? zeros : zeros.subarray(0, left))
  const diffId = `sha256:${hash.digest('hex')}`
  const gz = Buffer.concat([zlib.gzipSync(head, { level: 9 }), await gzipZeros(tarSize - 512)]) // gzip members concatenate
  const config = configFor([diffId])
  const configName = `${sha(config)}.json`
  return packToBuffer([
    { name: 'layer.tar.gz', data: gz },
    { name: configName, data: config },
    { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [`${repository}:bomb`], Layers: ['layer.tar.gz'] }])) },
  ])
}

/** One 512-byte ustar header with a valid checksum; `size` is what it claims, nothing has to follow. */
export function tarHeader(h: { name: string; size: number; type?: string }): Buffer {
  const b = Buffer.alloc(512)
  b.write(h.name, 0, 100, 'utf8')
  b.write('0000644\0', 100, 8, 'latin1')
  b.write('0000000\0', 108, 8, 'latin1')
  b.write('0000000\0', 116, 8, 'latin1')
  b.write(h.size.toString(8).padStart(11, '0') + '\0', 124, 12, 'latin1')
  b.write('00000000000\0', 136, 12, 'latin1')
  b.write(h.type ?? '0', 156, 1, 'latin1')
  b.write('ustar\0' + '00', 257, 8, 'latin1')
  b.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of b) sum += byte
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
  return b
}
