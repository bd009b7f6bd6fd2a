// Read-load benchmark: `npm run bench:read [-- --seconds 30 --clients 50 --targets distribution,sqlite,postgresql
//   --distribution-storage s3|filesystem (default: s3 with S3_ENDPOINT, else filesystem) --size 1M --server-env NAME=VALUE]` (READ_LOAD_SECONDS overrides the default duration).
// In one run, the same image (a generated docker-save archive pushed with `skopeo copy`) is pushed into Debian's
// docker-registry (distribution) and into Stowage on SQLite and on PostgreSQL, all on the same S3 (S3_ENDPOINT
// if set, else one s3rver process started here), then each gets the same load in turn: N keep-alive clients
// looping over GET manifest, GET config blob and GET layer blob (the layer nearest 122 KB) for a fixed time.
// Prints requests/s, p50/p99 per target and the ratios to distribution; writes bench/out/read-load-results.md.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { ensureArchive, type GeneratedArchive } from './generate-archive'
import { parseSize } from './image-plan'
import { CpuWindow, machineBusySeconds, memory } from './proc-stats'
import { markdownTable, runHeader, writeReport } from './harness'
import { ensureNextBuild, startStowage, pullAuthorization } from './stowage-process'
import { skopeoPush } from './registry-push'
import { startDistribution, distributionVersion } from './distribution'
import { externalS3, localListenerPid, shareOneS3 } from './s3-target'
import { MANIFEST_ACCEPT, percentile, runLoad, verifyRequests, type LoadResult, type ReadRequest } from './read-load-client'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT_DIR = path.join(ROOT, 'bench', 'out')
const RESULTS_FILE = path.join(OUT_DIR, 'read-load-results.md')
const REPOSITORY = 'bench/read'
const TAG = '1'
/** the layer size of the measurement in the issue (manifest, config and a 122 KB layer) */
const LAYER_TARGET_BYTES = 122 * 1000
const WARMUP_SECONDS = 3

const log = (m: string) => console.error(`[bench:read] ${m}`)

type TargetName = 'distribution' | 'sqlite' | 'postgresql'

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const num = (name: string, fallback: number) => {
    const n = Number(get(name) ?? fallback)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} takes a positive number`)
    return n
  }
  const targets = (get('targets') ?? 'distribution,sqlite,postgresql').split(',').map((t) => t.trim()) as TargetName[]
  for (const t of targets) if (!['distribution', 'sqlite', 'postgresql'].includes(t)) throw new Error(`--targets takes distribution, sqlite, postgresql; got "${t}"`)
  // distribution's S3 driver needs ListMultipartUploads, which s3rver lacks (501): without S3_ENDPOINT it uses its filesystem driver
  const distributionStorage = get('distribution-storage') ?? (process.env.S3_ENDPOINT ? 's3' : 'filesystem')
  if (!['s3', 'filesystem'].includes(distributionStorage)) throw new Error('--distribution-storage takes s3 or filesystem')
  return {
    seconds: num('seconds', Number(process.env.READ_LOAD_SECONDS || 30)),
    clients: Math.round(num('clients', 50)),
    size: get('size') ?? '1M',
    seed: get('seed') ?? 'stowage-bench',
    targets,
    distributionStorage: distributionStorage as 's3' | 'filesystem',
    pgUrl: process.env.PG_URL || 'postgresql://postgres@127.0.0.1:5432/postgres',
    serverEnv: argv.flatMap((a, i) => (a === '--server-env' && argv[i + 1] ? [argv[i + 1]] : [])),
  }
}

/** The requests of the load, from the registry's own manifest: manifest by tag, config blob, the layer nearest 122 KB. */
async function readRequests(url: string, authorization?: string): Promise<ReadRequest[]> {
  const manifestPath = `/v2/${REPOSITORY}/manifests/${TAG}`
  const res = await fetch(`${url}${manifestPath}`, { headers: { Accept: MANIFEST_ACCEPT, ...(authorization ? { Authorization: authorization } : {}) } })
  if (res.status !== 200) throw new Error(`GET ${url}${manifestPath} answered ${res.status}`)
  const body = Buffer.from(await res.arrayBuffer())
  const manifest = JSON.parse(body.toString()) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] }
  const layer = [...manifest.layers].sort((a, b) => Math.abs(a.size - LAYER_TARGET_BYTES) - Math.abs(b.size - LAYER_TARGET_BYTES))[0]
  const manifestDigest = `sha256:${crypto.createHash('sha256').update(body).digest('hex')}`
  return [
    { kind: 'manifest', path: manifestPath, accept: MANIFEST_ACCEPT, bytes: body.length, digest: manifestDigest },
    { kind: 'config', path: `/v2/${REPOSITORY}/blobs/${manifest.config.digest}`, bytes: manifest.config.size, digest: manifest.config.digest },
    { kind: 'layer', path: `/v2/${REPOSITORY}/blobs/${layer.digest}`, bytes: layer.size, digest: layer.digest },
  ]
}

type Cores = { server: number; s3: number; bench: number; other: number }
type TargetResult = { name: string; detail: string; requests: ReadRequest[]; load: LoadResult; cores: Cores; cpuSeconds: { server: number; s3: number }; serverRss: number }

/** Pushes the archive, checks the bytes, warms up, then runs the measured load with the CPU of each party. */
async function measure(name: string, detail: string, target: { url: string; host: string; serverPid: number; s3Pid: number; authorization?: string }, archive: GeneratedArchive, args: ReturnType<typeof parseArgs>): Promise<TargetResult> {
  log(`${name}: pushing the ${(archive.bytes / 2 ** 20).toFixed(1)} MiB archive with skopeo`)
  await skopeoPush(archive.path, target.host, `${REPOSITORY}:${TAG}`)
  const requests = await readRequests(target.url, target.authorization)
  await verifyRequests(target.url, requests, target.authorization)
  log(`${name}: verified manifest (${requests[0].bytes} B), config (${requests[1].bytes} B), layer (${requests[2].bytes} B); warm-up ${WARMUP_SECONDS} s`)
  await runLoad(target.url, requests, { clients: args.clients, seconds: WARMUP_SECONDS, authorization: target.authorization })
  const pids = [target.serverPid, target.s3Pid, process.pid]
  const window = new CpuWindow(pids)
  const busy0 = machineBusySeconds()
  const load = await runLoad(target.url, requests, { clients: args.clients, seconds: args.seconds, authorization: target.authorization })
  const { wallSeconds, cpu } = window.stop()
  const busy = machineBusySeconds() - busy0
  const own = pids.reduce((n, p) => n + cpu.get(p)!, 0)
  const cores = { server: cpu.get(target.serverPid)! / wallSeconds, s3: cpu.get(target.s3Pid)! / wallSeconds, bench: cpu.get(process.pid)! / wallSeconds, other: Math.max(0, busy - own) / wallSeconds }
  if (load.errors) throw new Error(`${name}: ${load.errors} wrong answers under load, first: ${load.firstError}`)
  log(`${name}: ${(load.requests / load.seconds).toFixed(0)} req/s, server ${((cpu.get(target.serverPid)! * 1000) / load.requests).toFixed(2)} CPU ms/request, p50 ${percentile(load.latency.all, 50).toFixed(1)} ms, p99 ${percentile(load.latency.all, 99).toFixed(1)} ms`)
  return { name, detail, requests, load, cores, cpuSeconds: { server: cpu.get(target.serverPid)!, s3: cpu.get(target.s3Pid)! }, serverRss: memory(target.serverPid)?.rss ?? 0 }
}

const rps = (r: TargetResult) => r.load.requests / r.load.seconds
const ms = (x: number) => x.toFixed(1)

function report(results: TargetResult[], args: ReturnType<typeof parseArgs>, header: string[]): string[] {
  const lines = [
    '# Read-load benchmark',
    '',
    ...header,
    '',
    ...markdownTable(
      [
        ['target', 'left'],
        ['req/s', 'right'],
        ['p50 ms', 'right'],
        ['p99 ms', 'right'],
        ['max ms', 'right'],
        ['p99 manifest / config / layer ms', 'right'],
        ['CPU ms per request: server / S3', 'right'],
        ['CPU cores: server / S3 / bench / other', 'right'],
        ['server RSS MiB', 'right'],
      ],
      results.map((r) => [
        `${r.name} (${r.detail})`,
        rps(r).toFixed(0),
        ms(percentile(r.load.latency.all, 50)),
        ms(percentile(r.load.latency.all, 99)),
        ms(r.load.latency.all[r.load.latency.all.length - 1] ?? NaN),
        (['manifest', 'config', 'layer'] as const).map((k) => ms(percentile(r.load.latency[k], 99))).join(' / '),
        [r.cpuSeconds.server, r.cpuSeconds.s3].map((n) => ((n * 1000) / r.load.requests).toFixed(2)).join(' / '),
        [r.cores.server, r.cores.s3, r.cores.bench, r.cores.other].map((n) => n.toFixed(2)).join(' / '),
        (r.serverRss / 2 ** 20).toFixed(0),
      ]),
    ),
  ]
  const ref = results.find((r) => r.name === 'distribution')
  if (ref) {
    const ratios = results
      .filter((x) => x !== ref)
      .map((r) => {
        const rr = rps(r) / rps(ref)
        const pr = percentile(r.load.latency.all, 99) / percentile(ref.load.latency.all, 99)
        return [r.name, rr.toFixed(2), pr.toFixed(2), rr >= 1 && pr <= 1 ? 'yes' : 'no']
      })
    lines.push('', ...markdownTable([['Stowage ÷ distribution', 'left'], ['req/s ratio (target ≥ 1)', 'right'], ['p99 ratio (target ≤ 1)', 'right'], ['meets target', 'left']], ratios))
  }
  lines.push('', 'CPU ms per request (CPU seconds of the process over the measured window ÷ requests answered) is the steadier figure on a busy machine: req/s and latency depend on how much of the cores the other processes leave.')
  lines.push('', `${args.clients} keep-alive clients, ${args.seconds} s per target after a ${WARMUP_SECONDS} s warm-up; each client loops manifest → config → layer GETs (client i starts at request i mod 3). Every answer is checked (200 and the byte count; sha256 once before the load).`)
  return lines
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const version = distributionVersion()
  if (args.targets.includes('distribution') && !version) throw new Error('docker-registry is not installed (apt-get install -y docker-registry), or leave it out with --targets sqlite,postgresql')
  ensureNextBuild(ROOT, log)
  for (const kv of args.serverEnv) {
    const i = kv.indexOf('=')
    if (i < 1) throw new Error(`--server-env takes NAME=VALUE, got "${kv}"`)
    process.env[kv.slice(0, i)] = kv.slice(i + 1)
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-read-'))
  let ownS3: Awaited<ReturnType<typeof shareOneS3>> = null
  const started = new Date()
  const loadAverage = os.loadavg()[0]
  try {
    ownS3 = await shareOneS3(ROOT, path.join(work, 's3'), log)
    const s3 = externalS3()!
    const s3Pid = ownS3 ? ownS3.pid : localListenerPid(s3.endpoint)
    const archive = await ensureArchive({ bytes: parseSize(args.size.toUpperCase()), label: `read-${args.size}`, seed: args.seed, dir: path.join(OUT_DIR, 'archives'), log })
    const results: TargetResult[] = []
    for (const name of args.targets) {
      if (name === 'distribution') {
        const storage = args.distributionStorage === 'filesystem' ? 'filesystem' : { ...s3, bucket: '' }
        const dist = await startDistribution(path.join(work, 'distribution'), storage)
        try {
          log(`distribution at ${dist.url} (${dist.storage}), pid ${dist.pid}`)
          results.push(await measure(name, `${version}, ${dist.storage.replace(/, bucket \S+/, '')}, no auth`, { url: dist.url, host: dist.host, serverPid: dist.pid, s3Pid: args.distributionStorage === 's3' ? s3Pid : 0 }, archive, args))
        } finally {
          await dist.stop()
        }
        continue
      }
      let dbName: string | null = null
      const extraEnv: Record<string, string> = {}
      if (name === 'postgresql') {
        dbName = `stowage_bench_read_${crypto.randomBytes(4).toString('hex')}`
        const admin = new pg.Client({ connectionString: args.pgUrl })
        await admin.connect()
        await admin.query(`CREATE DATABASE ${dbName}`)
        await admin.end()
        const u = new URL(args.pgUrl)
        u.pathname = `/${dbName}`
        extraEnv.DATABASE_URL = u.toString()
      }
      const dataDir = path.join(work, `stowage-${name}`)
      fs.mkdirSync(dataDir)
      const stowage = await startStowage(ROOT, dataDir, extraEnv)
      try {
        log(`Stowage on ${name} at ${stowage.url}, server pid ${stowage.serverPid}`)
        const authorization = await pullAuthorization(stowage.url)
        results.push(await measure(`Stowage ${name}`, `pull token, S3 bucket of its own`, { url: stowage.url, host: stowage.url.replace(/^http:\/\//, ''), serverPid: stowage.serverPid, s3Pid: stowage.s3Pid, authorization }, archive, args))
      } finally {
        // READ_LOAD_SERVER_LOG=DIR keeps each server's output (its JSON request lines) for a closer look
        if (process.env.READ_LOAD_SERVER_LOG) fs.writeFileSync(path.join(process.env.READ_LOAD_SERVER_LOG, `stowage-${name}.log`), stowage.output())
        await stowage.stop()
        if (dbName) {
          const admin = new pg.Client({ connectionString: args.pgUrl })
          await admin.connect()
          await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
          await admin.end()
        }
      }
    }
    const header = [
      runHeader(ROOT, started, loadAverage),
      `S3: ${ownS3 ? `one s3rver process started by the benchmark (${s3.endpoint})` : `${s3.endpoint} (S3_ENDPOINT)`}, shared by all targets, each in a bucket of its own; the S3 column is that process's CPU (0 when not on this machine).`,
      `Image: generated archive of ${args.size} (${archive.diffIds.length} layers) pushed with skopeo copy into each target (gzip layers); the measured layer is the one nearest 122 KB.`,
      ...(args.serverEnv.length ? [`Stowage ran with ${args.serverEnv.join(' ')}.`] : []),
    ]
    writeReport(ROOT, RESULTS_FILE, report(results, args, header), log)
  } finally {
    await ownS3?.stop()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
