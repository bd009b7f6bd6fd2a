// The catalog at scale (issue 12): 10,000 repositories and 100,000 tags generated straight into the
// database and bucket (bench/catalog-data.ts), then the read endpoints the console and registry clients
// use, each asked SAMPLES times over HTTP against a real server (in-process; s3rver for the bucket) on
// SQLite and on PostgreSQL. Prints p50/p95 per endpoint and whether p95 < 50 ms; then the repository
// list's p95 while a garbage-collection run walks the whole catalog.
// `npm run bench:catalog`; scale down with CATALOG_REPOSITORIES=1000 CATALOG_TAGS=10000
// CATALOG_BIG_TAGS=5000 CATALOG_SAMPLES=60 CATALOG_PROVIDERS=sqlite,postgresql.
// Not a test: time is only reported.
import { startStack, type Stack } from '../tests/helpers/stack'
import { listen } from '../lib/http/stowage-server'
import { runGc } from '../lib/gc/run-gc'
import { generateCatalog, repositoryName } from './catalog-data'
import type { DbProvider } from '../lib/db/provider'

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const REPOSITORIES = env('CATALOG_REPOSITORIES', 10_000)
const TAGS = env('CATALOG_TAGS', 100_000)
const BIG_TAGS = env('CATALOG_BIG_TAGS', 5_000)
const SAMPLES = env('CATALOG_SAMPLES', 100)
const providers = (process.env.CATALOG_PROVIDERS ?? 'sqlite,postgresql').split(',') as DbProvider[]
const TARGET_MS = 50

const tagsPerRepository = Math.max(1, Math.round((TAGS - BIG_TAGS) / REPOSITORIES))
// deterministic "random" picks, so runs ask the same questions
let seed = 12345
const pick = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed % n
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

type Endpoint = { name: string; target: boolean; path: () => string }

async function timeRequests(base: string, path: () => string, samples: number) {
  const ms: number[] = []
  for (let i = 0; i < samples; i++) {
    const p = path()
    const t0 = performance.now()
    const res = await fetch(base + p)
    await res.arrayBuffer()
    ms.push(performance.now() - t0)
    if (res.status !== 200) throw new Error(`${p}: HTTP ${res.status}`)
  }
  ms.sort((a, b) => a - b)
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), max: ms[ms.length - 1] }
}

const rows: string[] = []
const gcSteps: string[] = []
// each row is also printed when measured: a failure later in the run keeps what was measured
const line = (cells: (string | number)[]) => {
  rows.push(`| ${cells.join(' | ')} |`)
  console.error(rows[rows.length - 1])
}

for (const provider of providers) {
  const stack: Stack = await startStack(provider)
  const server = await listen(stack, { port: 0, host: '127.0.0.1' })
  try {
    const t0 = performance.now()
    const cat = await generateCatalog(stack, { repositories: REPOSITORIES, tagsPerRepository, bigRepositoryTags: BIG_TAGS, untaggedRepositories: 10, emptyRepositories: 10, layerPool: 500 })
    const tagCount = await stack.db.tag.count()
    console.error(`${provider}: generated ${cat.listed.length.toLocaleString('en')} repositories, ${tagCount.toLocaleString('en')} tags in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    await stack.db.$executeRawUnsafe('ANALYZE') // fresh statistics, as a database that grew over time has

    const pages = Math.ceil(cat.listed.length / 20)
    const repo = () => repositoryName(pick(REPOSITORIES))
    const sorted = [...cat.listed].sort()
    const endpoints: Endpoint[] = [
      { name: 'repositories by name, random page of 20', target: true, path: () => `/api/repositories?page=${1 + pick(pages)}` },
      { name: 'repositories by last update, random page of 20', target: true, path: () => `/api/repositories?sort=updated&page=${1 + pick(pages)}` },
      { name: 'repositories, search (one organization)', target: true, path: () => `/api/repositories?q=org-${pick(97)}%2F` },
      { name: 'repositories, search (matches ~1/10)', target: true, path: () => `/api/repositories?q=${pick(10)}0&page=${1 + pick(5)}` },
      { name: "a repository's tags (console, first page)", target: true, path: () => `/api/repositories/${repo()}/tags` },
      { name: `${BIG_TAGS.toLocaleString('en')}-tag repository, random console page of 50`, target: true, path: () => `/api/repositories/big/many-tags/tags?page=${1 + pick(Math.ceil(BIG_TAGS / 50))}` },
      {
        name: 'image page API (tag detail)',
        target: true,
        path: () => {
          const name = repo()
          return `/api/repositories/${name}/tags/${encodeURIComponent(cat.tagsOf.get(name)![0])}`
        },
      },
      { name: '_catalog?n=100&last=random', target: true, path: () => `/v2/_catalog?n=100&last=${encodeURIComponent(sorted[pick(sorted.length)])}` },
      { name: '_catalog (first 1,000)', target: true, path: () => '/v2/_catalog' },
      { name: 'tags/list of a repository', target: true, path: () => `/v2/${repo()}/tags/list` },
      { name: `tags/list?n=100&last=random (${BIG_TAGS.toLocaleString('en')} tags)`, target: true, path: () => `/v2/big/many-tags/tags/list?n=100&last=${encodeURIComponent(cat.bigTags[pick(cat.bigTags.length)])}` },
      { name: 'repositories by size (no stored size: aggregates all)', target: false, path: () => `/api/repositories?sort=size&page=${1 + pick(pages)}` },
    ]
    for (const e of endpoints) {
      await timeRequests(server.url, e.path, 3) // warm-up: Prisma compiles its queries once
      const samples = e.target ? SAMPLES : Math.min(SAMPLES, 10)
      const r = await timeRequests(server.url, e.path, samples)
      line([provider, e.name, samples, r.p50.toFixed(1), r.p95.toFixed(1), r.max.toFixed(1), e.target ? (r.p95 < TARGET_MS ? 'yes' : '**no**') : 'not a target'])
    }

    // the list while garbage collection walks the whole catalog (everything is referenced: it deletes nothing)
    // per step: its time and the longest event-loop stall in it (sampled every 5 ms), to show which step blocks
    let gcMs = 0
    const steps: { step: string; ms: number; stall: number }[] = []
    let last = performance.now()
    let stepStart = last
    let worst = 0
    const sampler = setInterval(() => {
      const now = performance.now()
      worst = Math.max(worst, now - last - 5)
      last = now
    }, 5)
    const gc = (async () => {
      const g0 = performance.now()
      await runGc(stack, {
        dryRun: false,
        trigger: 'manual',
        onStep: (step) => {
          const now = performance.now()
          if (steps.length) Object.assign(steps[steps.length - 1], { ms: now - stepStart, stall: worst })
          steps.push({ step, ms: 0, stall: 0 })
          stepStart = now
          worst = 0
        },
      })
      if (steps.length) Object.assign(steps[steps.length - 1], { ms: performance.now() - stepStart, stall: worst })
      gcMs = performance.now() - g0
      clearInterval(sampler)
    })()
    const during: number[] = []
    let done = false
    let failed = 0
    let firstFailure = ''
    void gc.finally(() => (done = true))
    while (!done || during.length < 10) {
      // a request cut while GC runs (e.g. a keep-alive socket the server closed after a long stall) is
      // counted and reported rather than ending the benchmark
      const r = await timeRequests(server.url, () => `/api/repositories?page=${1 + pick(pages)}`, 1).catch((e: Error) => {
        failed++
        firstFailure ||= `${e.message}${e.cause ? ` (${(e.cause as Error).message})` : ''}`
        return null
      })
      if (r) during.push(r.p50)
      if (during.length + failed >= 2000) break
    }
    if (failed) gcSteps.push(`${provider}: ${failed} list requests failed while GC ran, first: ${firstFailure}`)
    await gc
    during.sort((a, b) => a - b)
    const p95 = percentile(during, 95)
    gcSteps.push(`${provider}: ` + steps.map((x) => `${x.step} ${x.ms.toFixed(0)} ms (longest stall ${x.stall.toFixed(0)} ms)`).join(', '))
    line([provider, `repositories by name while GC runs (${(gcMs / 1000).toFixed(1)} s run)`, during.length, percentile(during, 50).toFixed(1), p95.toFixed(1), during[during.length - 1].toFixed(1), p95 < TARGET_MS ? 'yes' : '**no**'])
  } finally {
    await server.close()
    await stack.close()
  }
}

console.log(`\nCatalog: ${REPOSITORIES.toLocaleString('en')} repositories × ${tagsPerRepository} tags + one with ${BIG_TAGS.toLocaleString('en')} tags; ${SAMPLES} requests per endpoint, one at a time; target p95 < ${TARGET_MS} ms\n`)
console.log('| database | endpoint | requests | p50 ms | p95 ms | max ms | p95 < 50 ms |')
console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |')
for (const r of rows) console.log(r)
console.log('\nGarbage collection steps (time, longest event-loop stall):')
for (const g of gcSteps) console.log(`- ${g}`)
