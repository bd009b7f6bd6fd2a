// What a garbage-collection run costs (issue 11): N unreferenced blobs, each with its object in the
// bucket and a stale link in one of 10 repositories, next to a tagged image that must stay; then a dry
// run and a real run, in-process on a real stack (s3rver + SQLite / PostgreSQL). Prints, per run, the
// time and how much of it the store's DeleteObjects calls took, blobs per second without those, and the
// longest event-loop stall (sampled every 5 ms); checks the outcome (every unreferenced blob and object
// gone, the tagged image's untouched). The S3 server runs in its own process, as the embedded store does
// in production (in-process, its own work would count as our stall).
// `npm run bench:gc [-- --blobs 1000,5000 --providers sqlite,postgresql]`. Not a test: time is only reported.
// `--catalog 10000`: instead, a catalog of that many repositories (bench/catalog-data.ts: 10 tags each, plus
// 100 repositories of untagged images) with 1,000 unreferenced blobs besides; the longest event-loop block
// (perf_hooks monitorEventLoopDelay) of a run over a large catalog is what issue 12 measured (41 s on SQLite).
import { randomBytes, createHash } from 'node:crypto'
import { insertRows } from '../lib/registry/bulk-sql'
import { newObjectKey } from '../lib/registry/staging'
import { runGc, type GcResult } from '../lib/gc/run-gc'
import type { DbProvider } from '../lib/db/provider'
import { generateCatalog } from './catalog-data'
import { arg, measured, startBenchStack, type BenchStack, type Measured } from './harness'

const providers = arg('providers', 'sqlite,postgresql').split(',') as DbProvider[]
const sizes = arg('blobs', '1000,5000').split(',').map(Number)
const catalog = Number(arg('catalog', '0'))
const OBJECT_BYTES = 1024
const REPOSITORIES = 10

type Stack = BenchStack & { storeDeleteMs: number }

async function startStack(provider: DbProvider): Promise<Stack> {
  const stack: Stack = Object.assign(await startBenchStack(provider, 'gc'), { storeDeleteMs: 0 })
  const store = stack.store
  // the time spent in the store's DeleteObjects calls, to tell the store's cost from garbage collection's
  const deleteObjects = store.delete.bind(store)
  store.delete = async (keys) => {
    const t0 = performance.now()
    try {
      await deleteObjects(keys)
    } finally {
      stack.storeDeleteMs += performance.now() - t0
    }
  }
  return stack
}

/** N blobs with objects, linked (stale) into the repositories; nothing references them. */
async function seed(stack: Stack, n: number) {
  const old = new Date(Date.now() - 7 * 24 * 3600 * 1000)
  const repos: { id: number }[] = []
  for (let r = 0; r < REPOSITORIES; r++) repos.push(await stack.db.repository.create({ data: { name: `bench/gc-${r}` } }))
  const blobs: [string, string, number, Date][] = []
  for (let i = 0; i < n; i++) blobs.push([`sha256:${createHash('sha256').update(`gc-bench-${n}-${i}`).digest('hex')}`, newObjectKey(), OBJECT_BYTES, old])
  const body = randomBytes(OBJECT_BYTES)
  for (let i = 0; i < blobs.length; i += 32) await Promise.all(blobs.slice(i, i + 32).map(([, key]) => stack.store.write(key, body)))
  await insertRows(stack.db, 'Blob', [['digest', 'text'], ['objectKey', 'text'], ['size', 'bigint'], ['createdAt', 'timestamp']], blobs)
  await insertRows(
    stack.db,
    'RepositoryBlob',
    [['repositoryId', 'int'], ['digest', 'text'], ['createdAt', 'timestamp'], ['touchedAt', 'timestamp']],
    blobs.map(([digest], i) => [repos[i % REPOSITORIES].id, digest, old, old]),
  )
}

/** A tagged one-layer image that must survive every run. */
async function seedKept(stack: Stack) {
  const layer = randomBytes(4096)
  const digest = `sha256:${createHash('sha256').update(layer).digest('hex')}`
  const key = newObjectKey()
  await stack.store.write(key, layer)
  const repo = await stack.db.repository.create({ data: { name: 'bench/kept' } })
  await stack.db.blob.create({ data: { digest, objectKey: key, size: BigInt(layer.length), createdAt: new Date(0) } })
  await stack.db.repositoryBlob.create({ data: { repositoryId: repo.id, digest, touchedAt: new Date(0) } })
  const m = await stack.db.manifest.create({ data: { repositoryId: repo.id, digest: 'sha256:' + '1'.repeat(64), mediaType: 'application/vnd.oci.image.manifest.v1+json', content: new Uint8Array(2), createdAt: new Date(0), blobs: { create: [{ position: 0, digest, role: 'layer' }] } } })
  await stack.db.tag.create({ data: { repositoryId: repo.id, name: 'v1', manifestId: m.id } })
  return { digest, key }
}

async function objectCount(stack: Stack) {
  let n = 0
  for await (const _ of stack.store.list('blobs/')) n++
  return n
}

const line = (provider: string, n: number, what: string, r: Measured<GcResult>, storeMs: number) =>
  `| ${provider} | ${n.toLocaleString('en')} | ${what} | ${(r.ms / 1000).toFixed(2)} s | ${(storeMs / 1000).toFixed(2)} s | ${Math.round((n / (r.ms - storeMs)) * 1000).toLocaleString('en')} | ${r.stallMs.toFixed(0)} ms | ${r.value.blobsDeleted} blobs, ${r.value.objectsDeleted} objects, ${r.value.bytesFreed.toLocaleString('en')} B |`

const rows: string[] = []

async function catalogRuns() {
  const STALE = 1000
  for (const provider of providers) {
    const stack = await startStack(provider)
    stack.lifecycle = { gcGraceSeconds: 3600 }
    try {
      const t0 = performance.now()
      await generateCatalog(stack, { repositories: catalog, tagsPerRepository: 10, bigRepositoryTags: 0, untaggedRepositories: 100, emptyRepositories: 10, layerPool: 500 })
      await seed(stack, STALE)
      await stack.db.$executeRawUnsafe('ANALYZE')
      console.error(`${provider}: catalog of ${catalog} repositories generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      const dry = await measured(() => runGc(stack, { dryRun: true, trigger: 'manual', onStep: stepStalls.onStep }))
      rows.push(catalogLine(provider, 'dry run', dry) + ` ${stepStalls.report()}`)
      console.error(rows[rows.length - 1])
      const real = await measured(() => runGc(stack, { dryRun: false, trigger: 'manual', onStep: stepStalls.onStep }))
      rows.push(catalogLine(provider, 'real run', real) + ` ${stepStalls.report()}`)
      console.error(rows[rows.length - 1])
      const same = (['manifestsDeleted', 'linksDeleted', 'blobsDeleted', 'bytesFreed'] as const).every((k) => dry.value[k] === real.value[k])
      if (!same || real.value.blobsDeleted < STALE || real.value.errors.length) throw new Error(`wrong outcome for ${provider}: dry ${JSON.stringify(totals(dry.value))} real ${JSON.stringify(totals(real.value))}`)
    } finally {
      await stack.close()
    }
  }
  console.log(`| database | repositories | run | time | longest event-loop block (monitorEventLoopDelay) | 5 ms timer | freed (longest block per step) |`)
  console.log('|---|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)
}

/** The longest event-loop gap (5 ms timer) within each GC step, to tell which step blocks. */
const stepStalls = (() => {
  let step = ''
  let worst = new Map<string, number>()
  let last = 0
  let timer: NodeJS.Timeout | null = null
  let started = new Map<string, number>()
  return {
    onStep(s: string) {
      started.set(s, performance.now())
      if (!timer) {
        last = performance.now()
        timer = setInterval(() => {
          const now = performance.now()
          worst.set(step, Math.max(worst.get(step) ?? 0, now - last - 5))
          last = now
        }, 5)
      }
      step = s
    },
    report() {
      if (timer) clearInterval(timer)
      timer = null
      const out = [...worst].map(([s, ms]) => `${s} ${Math.max(0, ms).toFixed(0)}`).join(', ')
      const times = [...started.values()]
      const took = [...started.keys()].slice(0, -1).map((s, i) => `${s} ${((times[i + 1] - times[i]) / 1000).toFixed(1)}`).join(', ')
      worst = new Map()
      started = new Map()
      return `(longest block per step, ms: ${out}; step time, s: ${took})`
    },
  }
})()

function totals({ repositories: _, ...rest }: GcResult) {
  return rest
}

function catalogLine(provider: string, what: string, r: Measured<GcResult>) {
  const v = r.value
  return `| ${provider} | ${catalog.toLocaleString('en')} | ${what} | ${(r.ms / 1000).toFixed(2)} s | ${r.loopDelayMaxMs.toFixed(0)} ms | ${r.stallMs.toFixed(0)} ms | ${v.manifestsDeleted} manifests, ${v.linksDeleted} links, ${v.blobsDeleted} blobs, ${v.repositories.filter((x) => x.repositoryRemoved).length} repositories removed |`
}

async function blobRuns() {
  for (const provider of providers) {
    for (const n of sizes) {
      const stack = await startStack(provider)
      stack.lifecycle = { gcGraceSeconds: 3600 }
      try {
        const kept = await seedKept(stack)
        await seed(stack, n)
        await runGc(stack, { dryRun: true, trigger: 'manual' }) // warm-up: Prisma compiles its queries once
        const dry = await measured(() => runGc(stack, { dryRun: true, trigger: 'manual' }))
        rows.push(line(provider, n, 'dry run', dry, 0))
        const real = await measured(() => runGc(stack, { dryRun: false, trigger: 'manual' }))
        rows.push(line(provider, n, 'real run', real, stack.storeDeleteMs))
        const left = { blobs: await stack.db.blob.count(), objects: await objectCount(stack), keptObject: (await stack.store.stat(kept.key)) !== null }
        if (real.value.blobsDeleted !== n || left.blobs !== 1 || left.objects !== 1 || !left.keptObject || real.value.errors.length) {
          throw new Error(`wrong outcome for ${provider} ${n}: ${JSON.stringify({ deleted: real.value.blobsDeleted, ...left, errors: real.value.errors })}`)
        }
        console.error(`${provider} ${n}: done`)
      } finally {
        await stack.close()
      }
    }
  }
  console.log('| database | unreferenced blobs | run | time | of which store deletes | blobs/s without them | longest event-loop stall | freed |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)
}

if (catalog > 0) await catalogRuns()
else await blobRuns()
