// Builds small, valid `docker save` archives in memory for tests that need images of their own
// (concurrency, aborts, limits). Layers are real tar streams.
import tar from 'tar-stream'
import { createHash, randomBytes } from 'node:crypto'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

export type RawEntry = { name: string; data?: Buffer; type?: 'file' | 'symlink' | 'link' | 'character-device' | 'directory'; linkname?: string }

/** Packs entries exactly as given (including hostile names and types). */
export async function packToBuffer(entries: RawEntry[]): Promise<Buffer> {
  const pack = tar.pack()
  const chunks: Buffer[] = []
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer))
  const done = new Promise<void>((r) => pack.on('end', () => r()))
  for (const e of entries) {
    const type = e.type ?? 'file'
    if (type === 'file') pack.entry({ name: e.name, size: e.data!.length, mtime: new Date(0) }, e.data!)
    else pack.entry({ name: e.name, type, linkname: e.linkname, mtime: new Date(0), size: 0 })
  }
  pack.finalize()
  await done
  return Buffer.concat(chunks)
}

/** A layer tar holding one file of `size` random bytes (incompressible) or repeated text. */
export async function makeLayer(size: number, kind: 'random' | 'text' = 'random'): Promise<Buffer> {
  const data = kind === 'random' ? randomBytes(size) : Buffer.alloc(size, 'hello stowage\n')
  return packToBuffer([{ name: `data-${sha(data).slice(0, 8)}.bin`, data }])
}

export async function makeDockerArchive(opts: {
  repoTags: string[] | null
  layers: Buffer[]
  /** what to store for layer i instead of its plain bytes (e.g. gzip), or extra entries */
  storedLayers?: Buffer[]
  extraEntries?: RawEntry[]
  /** edits manifest.json before it is written */
  editManifest?: (m: any[]) => any[]
}): Promise<{ archive: Buffer; configDigest: string; diffIds: string[] }> {
  const diffIds = opts.layers.map((l) => `sha256:${sha(l)}`)
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: opts.layers.map((_, i) => ({ created_by: `layer ${i}` })),
    }),
  )
  const configHex = sha(config)
  const entries = [
    ...(opts.extraEntries ?? []),
    ...opts.layers.map((l, i) => ({ name: `${diffIds[i].slice(7)}.tar`, data: opts.storedLayers?.[i] ?? l })),
    { name: `${configHex}.json`, data: config },
    {
      name: 'manifest.json',
      data: Buffer.from(
        JSON.stringify(
          (opts.editManifest ?? ((m) => m))([{ Config: `${configHex}.json`, RepoTags: opts.repoTags, Layers: diffIds.map((d) => `${d.slice(7)}.tar`) }]),
        ),
      ),
    },
  ]
  return { archive: await packToBuffer(entries), configDigest: `sha256:${configHex}`, diffIds }
}
