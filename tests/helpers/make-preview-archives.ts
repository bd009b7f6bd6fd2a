// Archives for the upload-preview tests that make-archive.ts does not build: OCI image layouts,
// GNU long-name entries, hand-made tar headers.
import { createHash } from 'node:crypto'
import { packToBuffer, type RawEntry } from './make-archive'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/** One raw tar header block (ustar, or GNU "ustar  " magic), checksum filled in. */
export function tarHeader(opts: { name: string; size: number; type?: string; gnu?: boolean; sizeField?: Buffer }): Buffer {
  const h = Buffer.alloc(512)
  h.write(opts.name.slice(0, 100), 0, 'utf8')
  h.write('0000644\0', 100)
  h.write('0000000\0', 108)
  h.write('0000000\0', 116)
  if (opts.sizeField) opts.sizeField.copy(h, 124)
  else h.write(opts.size.toString(8).padStart(11, '0') + '\0', 124)
  h.write('00000000000\0', 136)
  h.write(opts.type ?? '0', 156)
  if (opts.gnu) h.write('ustar  \0', 257, 'latin1')
  else h.write('ustar\x0000', 257, 'latin1')
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
  return h
}

const padded = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)])

/** A regular file entry whose name is carried by a GNU 'L' long-name entry before it. */
export function gnuLongNameEntry(name: string, data: Buffer): Buffer {
  const nameBytes = Buffer.from(name + '\0')
  return Buffer.concat([
    tarHeader({ name: '././@LongLink', size: nameBytes.length, type: 'L', gnu: true }),
    padded(nameBytes),
    tarHeader({ name: name.slice(0, 99), size: data.length, gnu: true }),
    padded(data),
  ])
}

export const endOfArchive = () => Buffer.alloc(1024)

/** An OCI image layout (index.json + blobs/sha256/*) of one image per entry of `images`. */
export async function makeOciLayout(
  images: { layers: Buffer[]; annotations?: Record<string, string>; platform?: { os: string; architecture: string; variant?: string } }[],
): Promise<{ archive: Buffer; configs: { digest: string; size: number }[] }> {
  const blobs = new Map<string, Buffer>()
  const add = (b: Buffer) => {
    const d = `sha256:${sha(b)}`
    blobs.set(d, b)
    return { digest: d, size: b.length }
  }
  const configs: { digest: string; size: number }[] = []
  const manifests = images.map((img) => {
    const platform = img.platform ?? { os: 'linux', architecture: 'amd64' }
    const config = add(Buffer.from(JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: img.layers.map((l) => `sha256:${sha(l)}`) } })))
    configs.push(config)
    const layers = img.layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...add(l) }))
    const manifest = add(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers })))
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform, annotations: img.annotations }
  })
  const entries: RawEntry[] = [
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    ...[...blobs].map(([d, data]) => ({ name: `blobs/sha256/${d.slice(7)}`, data })),
    { name: 'index.json', data: Buffer.from(JSON.stringify({ schemaVersion: 2, manifests })) },
  ]
  return { archive: await packToBuffer(entries), configs }
}
