// Builds multi-platform archives in memory: an OCI image layout whose index.json names ONE image index
// over several platform images, as `docker save` writes a multi-platform image (containerd image store)
// and `skopeo copy --all … oci-archive:` does. Layers are real tars, stored gzip or plain as asked.
import zlib from 'node:zlib'
import { createHash } from 'node:crypto'
import { packToBuffer, makeLayer, type RawEntry } from './make-archive'

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`
const blobName = (digest: string) => `blobs/sha256/${digest.slice(7)}`

export type PlatformSpec = { os?: string; architecture: string; variant?: string; layers: { size: number; gzip: boolean }[] }

export type BuiltPlatform = {
  platform: string
  manifestDigest: string
  configDigest: string
  diffIds: string[]
  /** uncompressed layer sizes */
  layerSizes: number[]
}

export async function makeMultiPlatformArchive(opts: {
  /** full reference for io.containerd.image.name; null = no name at all */
  reference: string | null
  platforms: PlatformSpec[]
  /** also write a docker manifest.json (one entry per platform), as docker save does */
  dockerManifest?: boolean
  /** platforms (by position) whose manifest, config and layers are left out, as docker save does for platforms not pulled */
  missing?: number[]
  /** edits index.json before it is written (hostile archives) */
  editIndexJson?: (index: any) => any
}): Promise<{ archive: Buffer; indexDigest: string; indexBytes: Buffer; platforms: BuiltPlatform[] }> {
  const blobs = new Map<string, Buffer>()
  const put = (b: Buffer) => {
    const d = sha(b)
    blobs.set(d, b)
    return d
  }
  const built: BuiltPlatform[] = []
  const descriptors: object[] = []
  const dockerEntries: object[] = []
  const left = new Set<string>()
  for (const [n, p] of opts.platforms.entries()) {
    const os = p.os ?? 'linux'
    const layers = await Promise.all(p.layers.map((l) => makeLayer(l.size)))
    const diffIds = layers.map(sha)
    const stored = layers.map((l, i) => (p.layers[i].gzip ? zlib.gzipSync(l) : l))
    const layerDescriptors = stored.map((b, i) => ({
      mediaType: p.layers[i].gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
      digest: put(b),
      size: b.length,
    }))
    const config = Buffer.from(
      JSON.stringify({
        architecture: p.architecture,
        os,
        ...(p.variant ? { variant: p.variant } : {}),
        config: { Cmd: ['/bin/sh'], Env: [`PLATFORM=${os}/${p.architecture}`] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: layers.map((_, i) => ({ created_by: `${p.architecture} layer ${i}` })),
      }),
    )
    const configDigest = put(config)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: layerDescriptors,
      }),
    )
    const manifestDigest = put(manifest)
    const platform = { architecture: p.architecture, os, ...(p.variant ? { variant: p.variant } : {}) }
    descriptors.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, platform })
    if (opts.missing?.includes(n)) {
      for (const d of [manifestDigest, configDigest, ...layerDescriptors.map((l) => l.digest)]) left.add(d)
      built.push({ platform: [os, p.architecture, p.variant].filter(Boolean).join('/'), manifestDigest, configDigest, diffIds, layerSizes: layers.map((l) => l.length) })
      continue
    }
    dockerEntries.push({ Config: blobName(configDigest), RepoTags: opts.reference ? [opts.reference] : [], Layers: layerDescriptors.map((d) => blobName(d.digest)) })
    built.push({ platform: [os, p.architecture, p.variant].filter(Boolean).join('/'), manifestDigest, configDigest, diffIds, layerSizes: layers.map((l) => l.length) })
  }
  const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: descriptors }))
  const indexDigest = put(indexBytes)
  const tag = opts.reference?.split(':').pop()
  const indexJson = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        digest: indexDigest,
        size: indexBytes.length,
        ...(opts.reference ? { annotations: { 'io.containerd.image.name': opts.reference, 'org.opencontainers.image.ref.name': tag } } : {}),
      },
    ],
  }
  const entries: RawEntry[] = [
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
    ...[...blobs].filter(([d]) => !left.has(d)).map(([d, data]) => ({ name: blobName(d), data })),
    { name: 'index.json', data: Buffer.from(JSON.stringify((opts.editIndexJson ?? ((j: any) => j))(indexJson))) },
    ...(opts.dockerManifest ? [{ name: 'manifest.json', data: Buffer.from(JSON.stringify(dockerEntries)) }] : []),
    { name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
  ]
  return { archive: await packToBuffer(entries), indexDigest, indexBytes, platforms: built }
}
