// What building a layer's file index costs (issue 13). A layer of N small files is written to the
// embedded S3 server (its own process, as in production), then, in one run and alternating: a raw read
// of the object (bytes counted, nothing else), the index build alone (read + tar scan + gzip'd index
// object written), the measurement alone (read + gzip -6, what the background pass did before) and the
// combined pass (measurement + index, one read). Prints MiB/s and files/s, the index/raw ratio (target
// >= 0.8x), the extra cost of the index in the combined pass, the peak RSS growth during the index build
// (memory must not follow N), the index object size, and how long the API's reads of the index take
// (root page, a deep directory page, a search, a file's lookup). Next to wall time it prints the CPU
// time of the process (main thread and libuv's pool: the gzip streams) and the median of the per-round
// index/raw ratios: on a shared machine these move less than the best wall times. With --expose-gc
// (`node --expose-gc --import tsx bench/layer-index.ts`) the heap before and after a build is exact.
// `npm run bench:layer-index [-- --files 200000 --file-size 256 --rounds 2]`. Not a test: time is only reported.
// `--in-memory` builds the index from the layer held in memory (64 KiB chunks) into a store that only
// counts the bytes: no S3, no database, so the scan, the index lines and their gzip are all that is
// measured, as CPU time of the main thread and of the whole process (Linux: /proc/self/task/*/schedstat),
// for index gzip -1 (what the server uses) and -6 (what it used before). Use it with `node --cpu-prof` to profile the index pass.
import fs from 'node:fs'
import { createHash } from 'node:crypto'
import { manyFilesLayer } from '../tests/helpers/layer-tar'
import type { Services } from '../lib/services'
import { readLayerOnce } from '../lib/analysis/layer-pass'
import { IndexBuilder } from '../lib/layers/index-builder'
import { finishIndex } from '../lib/layers/index-state'
import { listDirectory, searchIndex, findEntry } from '../lib/layers/directory-listing'
import { arg, sampled, startBenchStack, type Sample } from './harness'

const FILES = Number(arg('files', '200000'))
const FILE_SIZE = Number(arg('file-size', '256'))
const ROUNDS = Number(arg('rounds', '2'))
const MiB = 1024 * 1024

async function main() {
  const services = await startBenchStack('sqlite', 'layer-index')
  const { db, store } = services
  try {
    const key = 'blobs/bench-layer'
    const hash = createHash('sha256')
    let size = 0
    await store.write(key, manyFilesLayer(FILES, { fileSize: FILE_SIZE }).map((c: Buffer) => (hash.update(c), (size += c.length), c)))
    const digest = 'sha256:' + hash.digest('hex')
    console.log(`layer: ${FILES} files of ${FILE_SIZE} B in directories of 1000, ${(size / MiB).toFixed(1)} MiB stored uncompressed`)

    const runs: Record<string, number[]> = { raw: [], pass: [], index: [], index6: [], measure: [], combined: [] }
    const cpu: Record<string, number[]> = { raw: [], pass: [], index: [], index6: [], measure: [], combined: [] }
    const record = (k: string, r: Sample<unknown>) => {
      runs[k].push(r.ms)
      cpu[k].push(r.cpuMs)
      return r
    }
    let indexGrowth = 0
    let readChunks = 0
    let level6Bytes: bigint | null = null
    let heap = { before: Infinity, peak: 0, after: 0 }
    let indexKey = ''
    for (let round = 0; round < ROUNDS; round++) {
      record(
        'raw',
        await sampled(async () => {
          let n = 0
          readChunks = 0
          for await (const c of await store.read(key)) {
            n += (c as Buffer).length
            readChunks++
          }
          if (n !== size) throw new Error(`raw read returned ${n} of ${size} bytes`)
        }),
      )
      record('pass', await sampled(async () => readLayerOnce(await store.read(key), { compression: null, measure: false, index: null })))
      const built = await sampled(async () => {
        const index = await IndexBuilder.start(services, digest, 'stored')
        await readLayerOnce(await store.read(key), { compression: null, measure: false, index })
        await finishIndex(services, digest, index)
        return index.key
      })
      record('index', built)
      indexGrowth = Math.max(indexGrowth, built.rssGrowth)
      heap = { before: Math.min(heap.before, built.heapBefore), peak: Math.max(heap.peak, built.heapPeak), after: Math.max(heap.after, built.heapAfter) }
      if (indexKey) await store.delete([indexKey])
      indexKey = built.value
      // the same with gzip -6 for the index object, the level used before (its size is printed below)
      const built6 = await sampled(async () => {
        const index = await IndexBuilder.start(services, digest, 'stored', 6)
        await readLayerOnce(await store.read(key), { compression: null, measure: false, index })
        await finishIndex(services, digest, index)
        return index.key
      })
      record('index6', built6)
      level6Bytes = (await db.layerIndex.findUniqueOrThrow({ where: { digest } })).indexBytes
      await store.delete([built6.value])
      record('measure', await sampled(async () => readLayerOnce(await store.read(key), { compression: null, measure: true, index: null })))
      const combined = await sampled(async () => {
        const index = await IndexBuilder.start(services, digest, 'stored')
        await readLayerOnce(await store.read(key), { compression: null, measure: true, index })
        await finishIndex(services, digest, index)
        return index.key
      })
      record('combined', combined)
      await store.delete([indexKey])
      indexKey = combined.value
    }
    const best = (k: string) => Math.min(...runs[k])
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
    const line = (k: string, what: string) => {
      const s = best(k) / 1000
      console.log(
        `${what.padEnd(34)} ${(best(k) / 1000).toFixed(2).padStart(6)} s  ${(size / MiB / s).toFixed(0).padStart(5)} MiB/s  ${Math.round(FILES / s).toLocaleString('en').padStart(9)} files/s  CPU ${(median(cpu[k]) / 1000).toFixed(2)} s (median)`,
      )
    }
    console.log(`best of ${ROUNDS} rounds (the object is read in ${readChunks} chunks, ${(size / readChunks / 1024).toFixed(1)} KiB on average):`)
    line('raw', 'raw read of the object')
    line('pass', 'the pass streams, no work')
    line('index', 'index build (read + scan + write)')
    line('index6', 'the same, index gzip -6 (before)')
    line('measure', 'gzip -6 measurement (before)')
    line('combined', 'measurement + index, one read')
    console.log(`index build / raw read throughput: ${(best('raw') / best('index')).toFixed(2)}x best times, ${median(runs.raw.map((r, i) => r / runs.index[i])).toFixed(2)}x median of the rounds' ratios [${runs.raw.map((r, i) => (r / runs.index[i]).toFixed(2)).join(' ')}] (target >= 0.8x)`)
    console.log(`with gzip -6 for the index: ${(best('raw') / best('index6')).toFixed(2)}x best times, ${median(runs.raw.map((r, i) => r / runs.index6[i])).toFixed(2)}x median of the rounds' ratios; index object ${(Number(level6Bytes) / MiB).toFixed(2)} MiB`)
    console.log(`index build CPU beyond the raw read: ${(((median(cpu.index) - median(cpu.raw)) / FILES) * 1000).toFixed(2)} µs per entry`)
    console.log(`index added to the measuring pass: +${(((best('combined') - best('measure')) / best('measure')) * 100).toFixed(1)}% time`)
    const row = await db.layerIndex.findUniqueOrThrow({ where: { digest } })
    console.log(`index object: ${(Number(row.indexBytes) / MiB).toFixed(2)} MiB gzip for ${row.entryCount} entries (${(Number(row.indexBytes) / row.entryCount!).toFixed(1)} B/entry)`)
    console.log(`peak RSS growth during an index build: ${(indexGrowth / MiB).toFixed(1)} MiB; heap ${(heap.before / MiB).toFixed(1)} MiB before, ${(heap.peak / MiB).toFixed(1)} MiB at most during, ${(heap.after / MiB).toFixed(1)} MiB after${global.gc ? '' : ' (run node with --expose-gc for exact figures)'}`)
    console.log(`content: ${row.compressedContentBytes} B already compressed, ${row.compressibleBytes} B compressible`)

    const timeIt = async (what: string, fn: () => Promise<unknown>) => {
      const r = await sampled(fn)
      console.log(`${what.padEnd(44)} ${r.ms.toFixed(0).padStart(5)} ms  (RSS +${(r.rssGrowth / MiB).toFixed(1)} MiB)`)
    }
    const q = { page: 1, pageSize: 200, sort: 'name' as const }
    await timeIt('API read: root page (all entries scanned)', () => listDirectory(services, row.objectKey!, { ...q, path: '' }))
    await timeIt('API read: a directory page, sorted by size', () => listDirectory(services, row.objectKey!, { ...q, path: `d${String(Math.floor(FILES / 2000)).padStart(5, '0')}`, sort: 'size' }))
    await timeIt('API read: path search', () => searchIndex(services, row.objectKey!, `f${String(Math.floor(FILES / 2000) * 1000).padStart(7, '0').slice(0, 5)}`, 1, 200))
    await timeIt('API read: one file lookup (before its Range read)', () => findEntry(services, row.objectKey!, `d${String(Math.floor(FILES / 2000)).padStart(5, '0')}/f${String(Math.floor(FILES / 2000) * 1000).padStart(7, '0')}.txt`))
  } finally {
    await services.close()
  }
}

/** CPU nanoseconds a thread of this process ran (Linux). */
const threadNs = (tid: string) => Number(fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0])

async function inMemory() {
  const chunks: Buffer[] = []
  let held: Buffer[] = []
  let fill = 0
  for await (const c of manyFilesLayer(FILES, { fileSize: FILE_SIZE })) {
    held.push(c)
    fill += c.length
    while (fill >= 64 * 1024) {
      const all = Buffer.concat(held)
      chunks.push(all.subarray(0, 64 * 1024))
      held = [all.subarray(64 * 1024)]
      fill -= 64 * 1024
    }
  }
  chunks.push(Buffer.concat(held))
  let indexBytes = 0
  const services = {
    db: { layerIndex: { upsert: async () => ({}) } },
    store: {
      write: async (_key: string, body: AsyncIterable<Buffer>) => {
        for await (const c of body) indexBytes += c.length
      },
      delete: async () => {},
    },
  } as unknown as Services
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
  console.log(`in memory: ${FILES} files of ${FILE_SIZE} B, ${chunks.length} chunks; medians of ${ROUNDS} rounds after one warm-up`)
  for (const level of [1, 6]) {
    const main: number[] = []
    const all: number[] = []
    const wall: number[] = []
    for (let round = 0; round <= ROUNDS; round++) {
      indexBytes = 0
      const m0 = threadNs(String(process.pid))
      const a0 = fs.readdirSync('/proc/self/task').reduce((sum, t) => sum + threadNs(t), 0)
      const t0 = performance.now()
      const index = await IndexBuilder.start(services, 'sha256:bench', 'stored', level)
      for (const c of chunks) await index.feed(c)
      await index.finish()
      if (round === 0) continue
      wall.push(performance.now() - t0)
      main.push((threadNs(String(process.pid)) - m0) / 1e6)
      all.push((fs.readdirSync('/proc/self/task').reduce((sum, t) => sum + threadNs(t), 0) - a0) / 1e6)
    }
    const perEntry = (ms: number) => ((ms / FILES) * 1000).toFixed(2)
    console.log(
      `index gzip -${level}: main thread ${median(main).toFixed(0)} ms (${perEntry(median(main))} µs/file, ${Math.round(FILES / (median(main) / 1000)).toLocaleString('en')} files/s), all threads ${median(all).toFixed(0)} ms, wall ${median(wall).toFixed(0)} ms, index ${(indexBytes / MiB).toFixed(2)} MiB`,
    )
  }
}

;(process.argv.includes('--in-memory') ? inMemory() : main()).catch((e) => {
  console.error(e)
  process.exit(1)
})
