// What the image-level analysis costs (issue 13) for a 200,000-file image: three layers (a base of N
// files in directories of 1000; a layer overwriting every 20th file, whiting out every 200th and one
// whole directory; a layer adding N/40 files) are indexed into the embedded S3 server, then the merged
// index object is built (read top layer first, written as gzip), dive's efficiency computed (second
// read, bottom first), and the API's reads of the merged object timed: root page, a directory page,
// usage, a comparison with the image without its top layer. Reports time, the peak heap and RSS growth
// over the start of each step, and the longest event-loop stall (perf_hooks, must stay short).
// `npm run bench:image-analysis [-- --files 200000]`. Not a test: time is only reported.
import { Readable } from 'node:stream'
import { manyFilesLayer, tarEntry, tarEnd } from '../tests/helpers/layer-tar'
import { readLayerOnce } from '../lib/analysis/layer-pass'
import { IndexBuilder } from '../lib/layers/index-builder'
import { finishIndex } from '../lib/layers/index-state'
import { listDirectory } from '../lib/layers/directory-listing'
import { writeMergedIndex, type MergeLayer } from '../lib/layers/merged-tree'
import { efficiencyOf } from '../lib/analysis/image-analysis'
import { imageUsage } from '../lib/layers/image-usage'
import { compareTrees } from '../lib/layers/image-compare'
import { arg, sampled, startBenchStack } from './harness'

const FILES = Number(arg('files', '200000'))
const MiB = 1024 * 1024
const dirOf = (i: number) => `d${String(Math.floor(i / 1000)).padStart(5, '0')}`
const nameOf = (i: number) => `${dirOf(i)}/f${String(i).padStart(7, '0')}.txt`

/** Runs fn (harness.sampled) and prints its time, heap and RSS growth and the longest event-loop delay. */
async function logged<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const r = await sampled(fn)
  console.log(
    `${what.padEnd(44)} ${r.ms.toFixed(0).padStart(6)} ms  heap +${((r.heapPeak - r.heapBefore) / MiB).toFixed(1).padStart(5)} MiB  RSS +${(r.rssGrowth / MiB).toFixed(1).padStart(5)} MiB  longest stall ${r.loopMaxMs.toFixed(0)} ms`,
  )
  return r.value
}

function* overwriteLayer() {
  for (let i = 0; i < FILES; i += 20) yield tarEntry({ name: nameOf(i) }, Buffer.alloc(300, 'new'))
  for (let i = 5; i < FILES; i += 200) yield tarEntry({ name: nameOf(i).replace(/f(\d+)\.txt$/, '.wh.f$1.txt') })
  yield tarEntry({ name: '.wh.d00001' })
  yield tarEnd()
}
function* addLayer() {
  for (let i = 0; i < FILES / 40; i++) yield tarEntry({ name: `added/a${Math.floor(i / 1000)}/f${i}` }, Buffer.alloc(50, 'a'))
  yield tarEnd()
}

async function main() {
  const services = await startBenchStack('sqlite', 'image-analysis')
  const { db } = services
  try {
    const sources = [() => manyFilesLayer(FILES, { fileSize: 100 }), () => Readable.from(overwriteLayer()), () => Readable.from(addLayer())]
    const layers: MergeLayer[] = []
    for (const [position, source] of sources.entries()) {
      const digest = `sha256:${String(position).repeat(64)}`
      const index = await IndexBuilder.start(services, digest, 'stored')
      await readLayerOnce(source(), { compression: null, measure: false, index })
      await finishIndex(services, digest, index)
      const row = await db.layerIndex.findUniqueOrThrow({ where: { digest } })
      console.log(`layer ${position}: ${row.entryCount} entries, index ${(Number(row.indexBytes) / MiB).toFixed(2)} MiB`)
      layers.push({ position, objectKey: index.key })
    }
    const merged = await logged('merged index build (3 layers)', () => writeMergedIndex(services, layers, 'blobs/image-index/bench', 'bench'))
    console.log(`merged index: ${merged.entryCount} entries, ${merged.fileCount} files, ${(merged.indexBytes / MiB).toFixed(2)} MiB gzip`)
    const eff = await logged("dive's efficiency (second read)", () => efficiencyOf(services, layers))
    console.log(`efficiency ${eff.efficiency.toFixed(4)}, wasted ${eff.wastedBytes} B in ${eff.inefficiencyCount} paths`)
    const q = { page: 1, pageSize: 200, sort: 'name' as const }
    await logged('API: merged root page', () => listDirectory(services, 'blobs/image-index/bench', { ...q, path: '' }))
    await logged('API: merged directory page, by size', () => listDirectory(services, 'blobs/image-index/bench', { ...q, path: dirOf(FILES / 2), sort: 'size' }))
    await logged('API: usage', () => imageUsage(services, 'blobs/image-index/bench'))
    await writeMergedIndex(services, layers.slice(0, 2), 'blobs/image-index/bench-2', 'bench')
    const diff = await logged('API: compare (without the top layer)', () => compareTrees(services, 'blobs/image-index/bench-2', 'blobs/image-index/bench', { page: 1, pageSize: 200 }))
    console.log(`compare: ${JSON.stringify(diff.files)}`)
  } finally {
    await services.close()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
