// Writes a deterministic, realistic `docker save` archive in the legacy layout skopeo writes:
// `<diffid>.tar` layers, `<config-digest>.json`, `<v1id>/{layer.tar -> ../<diffid>.tar,VERSION,json}`,
// then `manifest.json` and `repositories` at the END. Streams with tar-stream pack and backpressure,
// so memory stays bounded at any size.
//
// A layer's entry name is its sha256, known only after its bytes are written, while a tar header comes
// first. Each layer is therefore written under a same-length placeholder name while being hashed, and
// once the archive is complete the placeholder headers (at offsets known from the plan) are rewritten
// in place with the real name and checksum. The result is byte-identical to a one-pass writer that
// knew the digests.
//
//   npx tsx bench/generate-archive.ts --size 50M [--out FILE] [--seed TEXT]
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import tar from 'tar-stream'
import { ContentCorpora, type LayerContent } from './content'
import { planImage, parseSize, tarEntryBytes, type ImagePlan, type LayerPlan } from './image-plan'

/** Bump when the output for a given seed and size changes, so cached archives are regenerated. */
export const GENERATOR_VERSION = 1
const CHUNK_BYTES = 256 * 1024
const EPOCH = new Date(0)
const LAYER_MTIME = new Date('2024-01-01T00:00:00Z')

export type GeneratedArchive = {
  path: string
  bytes: number
  seed: string
  reference: string
  repository: string
  tag: string
  configDigest: string
  diffIds: string[]
  layerBytes: number[]
  generatorVersion: number
  seconds: number
  /** the size asked for (the archive is about this long); part of the cache identity */
  targetBytes?: number
}

const sha256hex = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex')

/** A tar-stream entry: a streamx Writable. */
type EntrySink = ReturnType<tar.Pack['entry']>

/** Writes with backpressure: resolves once the entry has room again. */
async function write(stream: EntrySink, chunk: Buffer) {
  if (stream.write(chunk)) return
  await new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      stream.off('close', onClose)
      resolve()
    }
    const onClose = () => {
      stream.off('drain', onDrain)
      reject(new Error('the tar entry was closed while writing'))
    }
    stream.once('drain', onDrain)
    stream.once('close', onClose)
  })
}

/** Adds one tar entry and waits until tar-stream has consumed it. */
function entryDone(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve())
    if (body) pack.entry(header, body, cb)
    else pack.entry(header, cb)
  })
}

/** Streams one layer's tar into `outer` (an already-open entry), returning its sha256 hex. */
async function writeLayer(layer: LayerPlan, content: LayerContent, outer: EntrySink): Promise<string> {
  const inner = tar.pack()
  const hash = crypto.createHash('sha256')
  let written = 0
  const producing = (async () => {
    for (const e of layer.entries) {
      if (e.type === 'directory') await entryDone(inner, { name: e.name, type: 'directory', mode: 0o755, mtime: LAYER_MTIME })
      else if (e.type === 'symlink') await entryDone(inner, { name: e.name, type: 'symlink', linkname: e.target, mode: 0o777, mtime: LAYER_MTIME })
      else {
        await new Promise<void>((resolve, reject) => {
          const sink = inner.entry({ name: e.name, type: 'file', size: e.size, mode: e.mode, mtime: LAYER_MTIME }, (err) => (err ? reject(err) : resolve()))
          void (async () => {
            for (let left = e.size; left > 0; left -= CHUNK_BYTES) await write(sink, content.make(e.kind, Math.min(CHUNK_BYTES, left)))
            sink.end(undefined)
          })().catch(reject)
        })
      }
    }
    inner.finalize()
  })()
  const consuming = (async () => {
    for await (const chunk of inner as AsyncIterable<Buffer>) {
      hash.update(chunk)
      written += chunk.length
      await write(outer, chunk)
    }
  })()
  await Promise.all([producing, consuming])
  if (written !== layer.tarBytes) throw new Error(`layer ${layer.index}: wrote ${written} bytes, planned ${layer.tarBytes}`)
  return hash.digest('hex')
}

const placeholderName = (i: number) => `${String(i).padStart(64, '0')}.tar`

/** Writes the archive for `plan` to `outPath`; returns the digests it contains. */
export async function writeArchive(plan: ImagePlan, outPath: string, reference: string): Promise<Omit<GeneratedArchive, 'seconds' | 'path'>> {
  const corpora = new ContentCorpora(plan.seed)
  const pack = tar.pack()
  const file = fs.createWriteStream(outPath)
  const flushing = pipeline(pack, file)
  flushing.catch(() => {})

  const diffIds: string[] = []
  for (const layer of plan.layers) {
    const header = { name: placeholderName(layer.index), type: 'file' as const, size: layer.tarBytes, mode: 0o444, mtime: EPOCH }
    let entry!: EntrySink
    const consumed = new Promise<void>((resolve, reject) => {
      entry = pack.entry(header, (err) => (err ? reject(err) : resolve()))
    })
    diffIds.push(await writeLayer(layer, corpora.forLayer(layer.index), entry))
    entry.end(undefined)
    await consumed
  }

  const [repository, tag] = splitReference(reference)
  const config = Buffer.from(
    JSON.stringify({
      created: '2024-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_ENV=production'],
        Cmd: ['node', '/app/dist/server.js'],
        WorkingDir: '/app',
        Labels: { 'org.opencontainers.image.source': 'stowage/bench/generate-archive.ts', 'bench.seed': plan.seed },
      },
      rootfs: { type: 'layers', diff_ids: diffIds.map((d) => `sha256:${d}`) },
      history: plan.layers.map((l) => ({ created: '2024-01-01T00:00:00Z', created_by: l.createdBy })),
    }),
  )
  const configHex = sha256hex(config)
  await entryDone(pack, { name: `${configHex}.json`, mode: 0o444, mtime: EPOCH }, config)

  // Legacy v1 directories, as skopeo writes them: ids chained over the layers, the last one carries the config.
  let parent = ''
  const v1ids: string[] = []
  for (const [i, diffId] of diffIds.entries()) {
    const last = i === diffIds.length - 1
    const id = sha256hex(`${parent} ${diffId}${last ? ' ' + configHex : ''}`)
    v1ids.push(id)
    const json = last
      ? { ...JSON.parse(config.toString()), rootfs: undefined, history: undefined, id, parent: parent || undefined }
      : { id, parent: parent || undefined }
    await entryDone(pack, { name: `${id}/layer.tar`, type: 'symlink', linkname: `../${diffId}.tar`, mode: 0o777, mtime: EPOCH })
    await entryDone(pack, { name: `${id}/VERSION`, mode: 0o444, mtime: EPOCH }, Buffer.from('1.0'))
    await entryDone(pack, { name: `${id}/json`, mode: 0o444, mtime: EPOCH }, Buffer.from(JSON.stringify(json)))
    parent = id
  }
  const manifest = [{ Config: `${configHex}.json`, RepoTags: [reference], Layers: diffIds.map((d) => `${d}.tar`) }]
  await entryDone(pack, { name: 'manifest.json', mode: 0o444, mtime: EPOCH }, Buffer.from(JSON.stringify(manifest)))
  await entryDone(pack, { name: 'repositories', mode: 0o444, mtime: EPOCH }, Buffer.from(JSON.stringify({ [repository]: { [tag]: v1ids[v1ids.length - 1] } })))
  pack.finalize()
  await flushing

  await patchLayerNames(outPath, plan, diffIds)
  const bytes = fs.statSync(outPath).size
  return {
    bytes,
    seed: plan.seed,
    reference,
    repository,
    tag,
    configDigest: `sha256:${configHex}`,
    diffIds: diffIds.map((d) => `sha256:${d}`),
    layerBytes: plan.layers.map((l) => l.tarBytes),
    generatorVersion: GENERATOR_VERSION,
  }
}

/** Replaces each layer's placeholder header name with `<diffid>.tar` and recomputes the header checksum. */
async function patchLayerNames(outPath: string, plan: ImagePlan, diffIds: string[]) {
  const fd = await fs.promises.open(outPath, 'r+')
  try {
    let offset = 0
    for (const [i, layer] of plan.layers.entries()) {
      const header = Buffer.alloc(512)
      await fd.read(header, 0, 512, offset)
      const name = header.toString('latin1', 0, 100).replace(/\0.*$/s, '')
      if (name !== placeholderName(i)) throw new Error(`expected the header of layer ${i} at offset ${offset}, found "${name}"`)
      header.fill(0, 0, 100)
      header.write(`${diffIds[i]}.tar`, 0, 'latin1')
      header.fill(0x20, 148, 156) // the checksum is computed with its own field as spaces
      let sum = 0
      for (const b of header) sum += b
      header.write(sum.toString(8).padStart(6, '0') + ' \0', 148, 'latin1')
      await fd.write(header, 0, 512, offset)
      offset += tarEntryBytes(layer.tarBytes)
    }
  } finally {
    await fd.close()
  }
}

function splitReference(reference: string): [string, string] {
  const i = reference.lastIndexOf(':')
  return [reference.slice(0, i), reference.slice(i + 1)]
}

/** The archive for (size, seed), generated once and reused while its sidecar matches. */
export async function ensureArchive(opts: { bytes: number; label: string; seed: string; dir: string; log?: (m: string) => void }): Promise<GeneratedArchive> {
  const base = `stowage-bench-${opts.label.toLowerCase()}-${sha256hex(opts.seed).slice(0, 8)}-v${GENERATOR_VERSION}`
  const archivePath = path.join(opts.dir, `${base}.tar`)
  const sidecar = `${archivePath}.json`
  if (fs.existsSync(archivePath) && fs.existsSync(sidecar)) {
    const meta = JSON.parse(fs.readFileSync(sidecar, 'utf8')) as GeneratedArchive
    const same = meta.generatorVersion === GENERATOR_VERSION && meta.targetBytes === opts.bytes && meta.seed === opts.seed
    if (same && fs.statSync(archivePath).size === meta.bytes) {
      opts.log?.(`reusing ${archivePath}`)
      return { ...meta, path: archivePath }
    }
  }
  fs.mkdirSync(opts.dir, { recursive: true })
  fs.rmSync(sidecar, { force: true })
  const started = performance.now()
  const plan = planImage(opts.bytes, opts.seed)
  const reference = `bench.example/stowage-bench:${opts.label.toLowerCase()}`
  const result = await writeArchive(plan, archivePath, reference)
  const meta: GeneratedArchive = { ...result, path: archivePath, seconds: (performance.now() - started) / 1000, targetBytes: opts.bytes }
  fs.writeFileSync(sidecar, JSON.stringify(meta, null, 2))
  opts.log?.(`generated ${archivePath}: ${(meta.bytes / 2 ** 20).toFixed(1)} MiB in ${meta.seconds.toFixed(1)} s`)
  return meta
}

async function main() {
  const args = process.argv.slice(2)
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? args[i + 1] : undefined
  }
  const sizeText = opt('size') ?? '50M'
  const bytes = parseSize(sizeText)
  const seed = opt('seed') ?? 'stowage-bench'
  const label = sizeText.toUpperCase()
  const out = opt('out')
  if (out) {
    const started = performance.now()
    const plan = planImage(bytes, seed)
    const result = await writeArchive(plan, out, `bench.example/stowage-bench:${label.toLowerCase()}`)
    console.log(JSON.stringify({ ...result, path: out, seconds: (performance.now() - started) / 1000 }, null, 2))
  } else {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out', 'archives')
    console.log(JSON.stringify(await ensureArchive({ bytes, label, seed, dir, log: (m) => console.error(m) }), null, 2))
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
