// What building a layer's file index costs (issue 13). A layer of N small files is written to the
// embedded S3 server (its own process, as in production), then, in one run and alternating: a raw read
// of the object (bytes counted, nothing else), the index build alone (read + tar scan + gzip'd index
// object written), the measurement alone (read + gzip -6, what the background pass did before) and the
// combined pass (measurement + index, one read). Prints MiB/s and files/s, the index/raw ratio (target
// >= 0.8x), the extra cost of the index in the combined pass, the peak RSS growth during the index build
// (memory must not follow N), the index object size, and how long the API's reads of the index take
// (root page, a deep directory page, a search, a file's lookup).
// `npm run bench:layer-index [-- --files 200000 --file-size 256 --rounds 2]`. Not a test: time is only reported.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createHash } from 'node:crypto'
import { createDatabase } from '../tests/helpers/stack'
import { manyFilesLayer } from '../tests/helpers/layer-tar'
import { startEmbeddedS3 } from '../lib/storage/embedded-s3'
import { openS3Store } from '../lib/storage/open-store'
import { openDatabase } from '../lib/db/client'
import { migrateDatabase } from '../lib/db/migrate'
import { defaultLimits } from '../lib/config'
import type { Services } from '../lib/services'
import { readLayerOnce } from '../lib/analysis/layer-pass'
import { IndexBuilder } from '../lib/layers/index-builder'
import { finishIndex } from '../lib/layers/index-state'
import { listDirectory, searchIndex, findEntry } from '../lib/layers/directory-listing'

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const FILES = Number(arg('files', '200000'))
const FILE_SIZE = Number(arg('file-size', '256'))
const ROUNDS = Number(arg('rounds', '2'))
const MiB = 1024 * 1024

/** Runs fn while sampling RSS every 10 ms; answers its time and the peak RSS growth over the start. */
async function sampled<T>(fn: () => Promise<T>): Promise<{ ms: number; rssGrowth: number; value: T }> {
  global.gc?.()
  const base = process.memoryUsage().rss
  let peak = base
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
  const t0 = performance.now()
  try {
    const value = await fn()
    peak = Math.max(peak, process.memoryUsage().rss)
    return { ms: performance.now() - t0, rssGrowth: peak - base, value }
  } finally {
    clearInterval(timer)
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-layer-index-'))
  const s3 = await startEmbeddedS3(dir, 'layers', { log: () => {} })
  const database = await createDatabase('sqlite', dir)
  await migrateDatabase(database.url)
  const db = await openDatabase(database.url)
  const store = await openS3Store({ endpoint: s3.endpoint, bucket: 'layers', region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true })
  const services = { db, store, limits: defaultLimits } as unknown as Services
  try {
    const key = 'blobs/bench-layer'
    const hash = createHash('sha256')
    let size = 0
    await store.write(key, manyFilesLayer(FILES, { fileSize: FILE_SIZE }).map((c: Buffer) => (hash.update(c), (size += c.length), c)))
    const digest = 'sha256:' + hash.digest('hex')
    console.log(`layer: ${FILES} files of ${FILE_SIZE} B in directories of 1000, ${(size / MiB).toFixed(1)} MiB stored uncompressed`)

    const runs: Record<string, number[]> = { raw: [], pass: [], index: [], measure: [], combined: [] }
    let indexGrowth = 0
    let indexKey = ''
    for (let round = 0; round < ROUNDS; round++) {
      runs.raw.push(
        (
          await sampled(async () => {
            let n = 0
            for await (const c of await store.read(key)) n += (c as Buffer).length
            if (n !== size) throw new Error(`raw read returned ${n} of ${size} bytes`)
          })
        ).ms,
      )
      runs.pass.push((await sampled(async () => readLayerOnce(await store.read(key), { gzipped: false, measure: false, index: null }))).ms)
      const built = await sampled(async () => {
        const index = await IndexBuilder.start(services, digest, 'stored')
        await readLayerOnce(await store.read(key), { gzipped: false, measure: false, index })
        await finishIndex(services, digest, index)
        return index.key
      })
      runs.index.push(built.ms)
      indexGrowth = Math.max(indexGrowth, built.rssGrowth)
      if (indexKey) await store.delete([indexKey])
      indexKey = built.value
      runs.measure.push((await sampled(async () => readLayerOnce(await store.read(key), { gzipped: false, measure: true, index: null }))).ms)
      const combined = await sampled(async () => {
        const index = await IndexBuilder.start(services, digest, 'stored')
        await readLayerOnce(await store.read(key), { gzipped: false, measure: true, index })
        await finishIndex(services, digest, index)
        return index.key
      })
      runs.combined.push(combined.ms)
      await store.delete([indexKey])
      indexKey = combined.value
    }
    const best = (k: string) => Math.min(...runs[k])
    const line = (k: string, what: string) => {
      const s = best(k) / 1000
      console.log(`${what.padEnd(34)} ${(best(k) / 1000).toFixed(2).padStart(6)} s  ${(size / MiB / s).toFixed(0).padStart(5)} MiB/s  ${Math.round(FILES / s).toLocaleString('en').padStart(9)} files/s`)
    }
    console.log(`best of ${ROUNDS} rounds:`)
    line('raw', 'raw read of the object')
    line('pass', 'the pass streams, no work')
    line('index', 'index build (read + scan + write)')
    line('measure', 'gzip -6 measurement (before)')
    line('combined', 'measurement + index, one read')
    console.log(`index build / raw read throughput: ${(best('raw') / best('index')).toFixed(2)}x (target >= 0.8x)`)
    console.log(`index added to the measuring pass: +${(((best('combined') - best('measure')) / best('measure')) * 100).toFixed(1)}% time`)
    const row = await db.layerIndex.findUniqueOrThrow({ where: { digest } })
    console.log(`index object: ${(Number(row.indexBytes) / MiB).toFixed(2)} MiB gzip for ${row.entryCount} entries (${(Number(row.indexBytes) / row.entryCount!).toFixed(1)} B/entry)`)
    console.log(`peak RSS growth during an index build: ${(indexGrowth / MiB).toFixed(1)} MiB`)

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
    await db.$disconnect()
    await s3.stop()
    await database.drop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
