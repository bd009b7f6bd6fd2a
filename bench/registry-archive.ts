// The registry benchmark's one-big-layer archive: the same generator as the import benchmark
// (bench/generate-archive.ts writeArchive), with the application image's seven planned layers merged
// into ONE layer, so a single blob of about the requested size exists with the image's content mix
// (text, binary-like, incompressible). Cached in bench/out/archives like ensureArchive does.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { GENERATOR_VERSION, writeArchive, type GeneratedArchive } from './generate-archive'
import { planImage, tarEntryBytes, TAR_END_BYTES, type ImagePlan, type LayerEntry } from './image-plan'

/** One layer holding every entry the multi-layer plan spreads over seven (duplicate paths dropped). */
export function planSingleLayerImage(targetBytes: number, seed: string): ImagePlan {
  const plan = planImage(targetBytes, seed)
  const seen = new Set<string>()
  const entries: LayerEntry[] = []
  let tarBytes = TAR_END_BYTES
  for (const layer of plan.layers) {
    for (const e of layer.entries) {
      if (seen.has(e.name)) continue
      seen.add(e.name)
      entries.push(e)
      tarBytes += tarEntryBytes(e.type === 'file' ? e.size : 0)
    }
  }
  return { seed, targetBytes, layers: [{ index: 0, createdBy: 'COPY . / # one big layer (registry benchmark)', entries, tarBytes }] }
}

/** The single-layer archive for (size, seed): generated once, reused while its sidecar matches. */
export async function ensureSingleLayerArchive(opts: {
  bytes: number
  label: string
  seed: string
  dir: string
  log?: (m: string) => void
}): Promise<GeneratedArchive & { reused: boolean }> {
  const seedHash = crypto.createHash('sha256').update(opts.seed).digest('hex').slice(0, 8)
  const archivePath = path.join(opts.dir, `stowage-registry-1layer-${opts.label.toLowerCase()}-${seedHash}-v${GENERATOR_VERSION}.tar`)
  const sidecar = `${archivePath}.json`
  if (fs.existsSync(archivePath) && fs.existsSync(sidecar)) {
    const meta = JSON.parse(fs.readFileSync(sidecar, 'utf8')) as GeneratedArchive
    if (meta.generatorVersion === GENERATOR_VERSION && fs.statSync(archivePath).size === meta.bytes) {
      opts.log?.(`reusing ${archivePath}`)
      return { ...meta, path: archivePath, reused: true }
    }
  }
  fs.mkdirSync(opts.dir, { recursive: true })
  fs.rmSync(sidecar, { force: true })
  const started = performance.now()
  const reference = `bench.example/registry-pull:${opts.label.toLowerCase()}`
  const result = await writeArchive(planSingleLayerImage(opts.bytes, opts.seed), archivePath, reference)
  const meta: GeneratedArchive = { ...result, path: archivePath, seconds: (performance.now() - started) / 1000 }
  fs.writeFileSync(sidecar, JSON.stringify(meta, null, 2))
  opts.log?.(`generated ${archivePath}: ${(meta.bytes / 2 ** 20).toFixed(1)} MiB, one layer of ${(meta.layerBytes[0] / 2 ** 20).toFixed(1)} MiB, in ${meta.seconds.toFixed(1)} s`)
  return { ...meta, reused: false }
}
