// Registry benchmark: `npm run bench:registry [-- --size 1G --push-size 500M --repeat 3 --clients 4 --keep
//   --skip-push --seed TEXT --server-env NAME=VALUE --client curl,node]`.
// In one run, against Stowage started as it really runs (as `npm start` runs it: compiled server, embedded s3rver, SQLite):
//   1. pull throughput of one big layer through GET /v2/<name>/blobs/<digest> vs S3 GetObject of the
//      same object from the same s3rver (alternating, median of --repeat runs each), per client: curl (a
//      native client, as docker's and skopeo's are) and this Node process
//   2. server RSS while --clients pulls of that layer run at once, against one pull
//   3. skopeo push (gzip layers, /v2 uploads) vs POST /api/uploads of the same multi-layer archive,
//      each into a fresh Stowage
// Prints the tables and writes bench/out/registry-results.md. See bench/README.md.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { createS3Client, S3BlobStore } from '../lib/storage/s3-blob-store'
import { externalS3, s3Label } from './s3-target'
import { ensureArchive, type GeneratedArchive } from './generate-archive'
import { ensureSingleLayerArchive } from './registry-archive'
import { parseSize } from './image-plan'
import { CpuWindow, RssSampler, memory, machineBusySeconds, machineSummary } from './proc-stats'
import { ensureNextBuild, startStowage, benchAuthorization, pullAuthorization, type StowageProcess } from './stowage-process'
import { pullHttp, pullS3, pullCurl, type PullResult } from './registry-pull'
import { skopeoPush, pushedImage, uploadArchive } from './registry-push'
import { minorFaults } from './registry-proc'
import { MiB, renderReport, pullSummary, type Cores, type Work, type MemoryPhase, type PullRun, type PullClient, type PushResult, type RegistryResults } from './registry-report'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT_DIR = path.join(ROOT, 'bench', 'out')
const ARCHIVE_DIR = path.join(OUT_DIR, 'archives')
const RESULTS_FILE = path.join(OUT_DIR, 'registry-results.md')
/** a small push/upload first, so one-time costs (query compilation, lazy modules, JIT) stay out of the timings */
const WARMUP_BYTES = 40 * MiB
const PUSH_REPOSITORY = 'bench/push'
const PUSH_TAG = '1'

const log = (m: string) => console.error(`[bench:registry] ${m}`)

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const int = (name: string, fallback: number) => {
    const n = Number(get(name) ?? fallback)
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a positive integer`)
    return n
  }
  return {
    size: (get('size') ?? '1G').toUpperCase(),
    pushSize: (get('push-size') ?? '500M').toUpperCase(),
    repeat: int('repeat', 3),
    clients: int('clients', 4),
    seed: get('seed') ?? 'stowage-bench',
    keep: argv.includes('--keep'),
    skipPush: argv.includes('--skip-push'),
    // curl: curl pulls both (/v2 and a presigned GetObject URL); node: this process pulls (http.get / the SDK's GetObject)
    clientKinds: parseClientKinds(get('client') ?? 'curl,node'),
    // e.g. --server-env MALLOC_TRIM_THRESHOLD_=268435456: an environment variable for the Stowage processes (A/B runs)
    serverEnv: argv.flatMap((a, i) => (a === '--server-env' && argv[i + 1] ? [argv[i + 1]] : [])),
  }
}

function parseClientKinds(list: string): PullClient[] {
  const kinds = list.split(',').map((k) => k.trim())
  for (const k of kinds) if (k !== 'curl' && k !== 'node') throw new Error(`--client takes curl, node or both (curl,node), got "${k}"`)
  return [...new Set(kinds)] as PullClient[]
}

const freeBytes = (dir: string) => {
  const s = fs.statfsSync(dir)
  return s.bavail * s.bsize
}

/** Runs `fn` and reports the CPU cores the server, s3rver, this process and the rest of the machine used meanwhile. */
async function withCores<T>(stowage: StowageProcess, fn: () => Promise<T>): Promise<{ value: T; cores: Cores; seconds: number; work: Work }> {
  const pids = [stowage.serverPid, stowage.s3Pid, process.pid]
  const faults0 = pids.map(minorFaults)
  const window = new CpuWindow(pids)
  const busy0 = machineBusySeconds()
  const value = await fn()
  const { wallSeconds, cpu } = window.stop()
  const busy = machineBusySeconds() - busy0
  const faults = pids.map((p, i) => minorFaults(p) - faults0[i])
  const own = pids.reduce((n, p) => n + cpu.get(p)!, 0)
  const per = (pid: number) => cpu.get(pid)! / wallSeconds
  return {
    value,
    seconds: wallSeconds,
    cores: { server: per(stowage.serverPid), s3rver: per(stowage.s3Pid), bench: per(process.pid), other: Math.max(0, busy - own) / wallSeconds },
    work: {
      cpuSeconds: { server: cpu.get(stowage.serverPid)!, s3rver: cpu.get(stowage.s3Pid)!, bench: cpu.get(process.pid)! },
      minorFaults: { server: faults[0], s3rver: faults[1], bench: faults[2] },
    },
  }
}

async function tagDetail(stowage: StowageProcess, repository: string, tag: string) {
  const res = await fetch(`${stowage.url}/api/repositories/${repository}/tags/${encodeURIComponent(tag)}`, { headers: { Authorization: benchAuthorization } })
  const body = (await res.json()) as any
  if (res.status !== 200) throw new Error(`tag ${repository}:${tag} answered ${res.status}: ${JSON.stringify(body)}`)
  return body
}

/** Waits until the background analysis of the tag's layers is done, so it does not compete with what is measured. */
async function waitForAnalysis(stowage: StowageProcess, repository: string, tag: string, timeoutMs = 600_000) {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const detail = await tagDetail(stowage, repository, tag)
    if (detail.sizes.compressedState === 'done') return detail
    if (detail.sizes.compressedState === 'failed') throw new Error(`background analysis of ${repository}:${tag} failed`)
    if (performance.now() > deadline) throw new Error(`background analysis of ${repository}:${tag} not done after ${timeoutMs / 1000} s`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** The object key behind a digest, from the database (read-only: the server owns the file). */
function objectKeyOf(dataDir: string, digest: string): { objectKey: string; size: number } {
  const db = new Database(path.join(dataDir, 'stowage.db'), { readonly: true, fileMustExist: true })
  try {
    const row = db.prepare('SELECT objectKey, size FROM Blob WHERE digest = ?').get(digest) as { objectKey: string; size: number | bigint } | undefined
    if (!row) throw new Error(`no Blob row for ${digest}`)
    return { objectKey: row.objectKey, size: Number(row.size) }
  } finally {
    db.close()
  }
}

async function startFresh(label: string): Promise<{ stowage: StowageProcess; dataDir: string }> {
  execFileSync('sync') // dirty pages of an earlier phase must not be flushed on this phase's time
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `stowage-bench-registry-${label}-`))
  try {
    const stowage = await startStowage(ROOT, dataDir)
    log(`${label}: Stowage at ${stowage.url}, server pid ${stowage.serverPid}, s3rver pid ${stowage.s3Pid} (data in ${dataDir})`)
    return { stowage, dataDir }
  } catch (e) {
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw e
  }
}

async function stopFresh(s: { stowage: StowageProcess; dataDir: string } | null) {
  if (!s) return
  await s.stowage.stop()
  fs.rmSync(s.dataDir, { recursive: true, force: true })
}

const rateOf = (r: PullResult) => (r.bytes / MiB / r.seconds).toFixed(1)

/** Parts 1 and 2: the big layer pulled through /v2 and directly, then by several clients at once. */
async function benchPull(archive: GeneratedArchive, opts: { repeat: number; clients: number; clientKinds: PullClient[] }) {
  let fresh: Awaited<ReturnType<typeof startFresh>> | null = null
  try {
    fresh = await startFresh('pull')
    const { stowage, dataDir } = fresh
    log(`uploading the ${(archive.bytes / MiB).toFixed(0)} MiB one-layer archive`)
    const up = await uploadArchive(stowage.url, archive.path)
    if (up.status !== 201) throw new Error(`upload answered ${up.status}: ${JSON.stringify(up.body)}`)
    log(`uploaded in ${up.seconds.toFixed(1)} s; waiting for the background analysis (gzip -6 of the layer)`)
    const detail = await waitForAnalysis(stowage, archive.repository, archive.tag)
    const digest: string = detail.layers[0].digest
    if (detail.layers.length !== 1 || digest !== archive.diffIds[0]) throw new Error(`expected one layer ${archive.diffIds[0]}, got ${JSON.stringify(detail.layers)}`)
    const { objectKey, size } = objectKeyOf(dataDir, digest)
    if (size !== archive.layerBytes[0]) throw new Error(`Blob size ${size}, the archive's layer has ${archive.layerBytes[0]} bytes`)
    const blobUrl = `${stowage.url}/v2/${archive.repository}/blobs/${digest}`
    const pullAuth = await pullAuthorization(stowage.url)
    const s3 = createS3Client(stowage.s3)
    const BUCKET = stowage.s3.bucket
    try {
      // Untimed first pass: both paths return the layer's bytes (sha256 = digest); also warms the page cache and JIT.
      for (const [name, pull] of [['/v2', () => pullHttp(blobUrl, { verify: true, authorization: pullAuth })], ['S3', () => pullS3(s3, BUCKET, objectKey, { verify: true })]] as const) {
        const r = await pull()
        if (r.digest !== digest || r.bytes !== size) throw new Error(`${name} returned ${r.bytes} bytes with ${r.digest}, expected ${size} bytes ${digest}`)
        log(`verified ${name}: ${r.bytes} bytes, sha256 matches (${rateOf(r)} MiB/s with hashing, untimed)`)
      }

      // 1. per client, alternating, the order flipped every run so neither path always follows the other
      const pulls: PullRun[] = []
      // a presigned GetObject URL, as the driver signs them for STOWAGE_BLOB_REDIRECT: curl then reads straight from s3rver
      const directUrl = await new S3BlobStore(s3, BUCKET).readUrl(objectKey, 3600)
      const pullOnce = (client: PullClient, mode: 'v2' | 's3') =>
        client === 'curl'
          ? mode === 'v2'
            ? pullCurl(blobUrl, size, pullAuth)
            : pullCurl(directUrl, size)
          : mode === 'v2'
            ? pullHttp(blobUrl, { authorization: pullAuth })
            : pullS3(s3, BUCKET, objectKey)
      for (const client of opts.clientKinds) {
        for (let run = 1; run <= opts.repeat; run++) {
          const order: ('v2' | 's3')[] = run % 2 ? ['v2', 's3'] : ['s3', 'v2']
          for (const mode of order) {
            const m = await withCores(stowage, () => pullOnce(client, mode))
            pulls.push({ client, mode, run, bytes: m.value.bytes, seconds: m.value.seconds, cores: m.cores, work: m.work })
            log(`${client} run ${run} ${mode}: ${rateOf(m.value)} MiB/s`)
          }
        }
      }

      // 2. memory: idle baseline, one pull, then several at once
      await new Promise((r) => setTimeout(r, 2000))
      const before = memory(stowage.serverPid)!
      const phases: MemoryPhase[] = []
      for (const clients of [1, opts.clients]) {
        const sampler = new RssSampler([stowage.serverPid, stowage.s3Pid], 50)
        const m = await withCores(stowage, () => Promise.all(Array.from({ length: clients }, () => pullHttp(blobUrl, { authorization: pullAuth }))))
        const peaks = sampler.stop()
        const bytes = m.value.reduce((n, r) => n + r.bytes, 0)
        phases.push({ clients, bytes, seconds: m.seconds, peakRss: peaks.get(stowage.serverPid) ?? 0, s3rverPeakRss: peaks.get(stowage.s3Pid) ?? 0, samples: sampler.samples, cores: m.cores, work: m.work })
        log(`${clients} concurrent pull(s): ${(bytes / MiB / m.seconds).toFixed(1)} MiB/s aggregate, server peak RSS ${((peaks.get(stowage.serverPid) ?? 0) / MiB).toFixed(1)} MiB`)
      }
      return { pulls, rssBaseline: before.rss, hwmBefore: before.hwm, memory: phases, blobBytes: size, blobDigest: digest }
    } finally {
      s3.destroy()
    }
  } finally {
    await stopFresh(fresh)
  }
}

/** Part 3: the same archive pushed by skopeo into one fresh Stowage and uploaded into another. */
async function benchPush(archive: GeneratedArchive, warmup: GeneratedArchive): Promise<PushResult> {
  let skopeoSide: Awaited<ReturnType<typeof startFresh>> | null = null
  let pushed: Awaited<ReturnType<typeof pushedImage>>
  let push: Awaited<ReturnType<typeof skopeoPush>>
  let skopeoCores: Cores
  try {
    skopeoSide = await startFresh('skopeo')
    const { stowage } = skopeoSide
    const host = stowage.url.replace(/^http:\/\//, '')
    await skopeoPush(warmup.path, host, 'bench/warmup:1')
    await waitForAnalysis(stowage, 'bench/warmup', '1')
    log(`skopeo: pushing the ${(archive.bytes / MiB).toFixed(0)} MiB archive`)
    const m = await withCores(stowage, () => skopeoPush(archive.path, host, `${PUSH_REPOSITORY}:${PUSH_TAG}`))
    push = m.value
    // "other" must not count skopeo itself: it is the client here, like the bench process elsewhere
    skopeoCores = { ...m.cores, other: Math.max(0, m.cores.other - push.cpuSeconds / m.seconds) }
    pushed = await pushedImage(stowage.url, PUSH_REPOSITORY, PUSH_TAG)
    if (pushed.manifest.layers.length !== archive.diffIds.length) throw new Error(`pushed manifest has ${pushed.manifest.layers.length} layers, the archive ${archive.diffIds.length}`)
    log(`skopeo: ${push.seconds.toFixed(1)} s, ${(pushed.totalBytes / MiB).toFixed(1)} MiB sent (${pushed.manifest.layers[0].mediaType})`)
  } finally {
    await stopFresh(skopeoSide)
  }

  let uploadSide: Awaited<ReturnType<typeof startFresh>> | null = null
  try {
    uploadSide = await startFresh('upload')
    const { stowage } = uploadSide
    const warm = await uploadArchive(stowage.url, warmup.path, '?repository=bench/warmup&tag=1')
    if (warm.status !== 201) throw new Error(`warm-up upload answered ${warm.status}: ${JSON.stringify(warm.body)}`)
    await waitForAnalysis(stowage, 'bench/warmup', '1')
    log(`upload: POSTing the same archive`)
    const m = await withCores(stowage, () => uploadArchive(stowage.url, archive.path, `?repository=${PUSH_REPOSITORY}&tag=${PUSH_TAG}`))
    if (m.value.status !== 201) throw new Error(`upload answered ${m.value.status}: ${JSON.stringify(m.value.body)}`)
    const detail = await tagDetail(stowage, PUSH_REPOSITORY, PUSH_TAG)
    if (JSON.stringify(detail.layers.map((l: any) => l.digest)) !== JSON.stringify(archive.diffIds)) throw new Error('uploaded layers differ from the archive diff_ids')
    log(`upload: ${m.value.seconds.toFixed(1)} s`)
    return {
      archiveBytes: archive.bytes,
      layers: archive.diffIds.length,
      skopeoSeconds: push.seconds,
      skopeoCpuSeconds: push.cpuSeconds,
      skopeoWireBytes: pushed.totalBytes,
      skopeoLayerBytes: pushed.layerBytes,
      serverCoresSkopeo: skopeoCores.server,
      otherCoresSkopeo: skopeoCores.other,
      uploadSeconds: m.value.seconds,
      serverCoresUpload: m.cores.server,
      otherCoresUpload: m.cores.other,
    }
  } finally {
    await stopFresh(uploadSide)
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const bytes = parseSize(args.size)
  const pushBytes = parseSize(args.pushSize)
  fs.mkdirSync(ARCHIVE_DIR, { recursive: true })
  // the big archive + its layer in s3rver + s3rver's multipart parts; the push archive + both servers' copies
  const needed = 3.5 * bytes + (args.skipPush ? 0 : 3.5 * pushBytes) + 2 ** 30
  const free = Math.min(freeBytes(OUT_DIR), freeBytes(os.tmpdir()))
  if (free < needed) throw new Error(`needs ~${(needed / 2 ** 30).toFixed(1)} GiB free disk, ${(free / 2 ** 30).toFixed(1)} GiB available`)
  ensureNextBuild(ROOT, log)
  for (const kv of args.serverEnv) {
    const i = kv.indexOf('=')
    if (i < 1) throw new Error(`--server-env takes NAME=VALUE, got "${kv}"`)
    process.env[kv.slice(0, i)] = kv.slice(i + 1) // startStowage passes this process's environment on
  }

  const started = new Date()
  const loadAverage = os.loadavg()[0]
  const generated: string[] = []
  const track = <T extends GeneratedArchive & { reused?: boolean }>(a: T) => {
    if (!a.reused) generated.push(a.path)
    return a
  }
  try {
    const big = track(await ensureSingleLayerArchive({ bytes, label: args.size, seed: args.seed, dir: ARCHIVE_DIR, log }))
    const pull = await benchPull(big, args)
    let push: PushResult | null = null
    if (!args.skipPush) {
      // own labels: a different file than the import benchmark's archives of the same size (it may be running too)
      const existed = (label: string) => fs.readdirSync(ARCHIVE_DIR).some((f) => f.startsWith(`stowage-bench-${label.toLowerCase()}-`) && f.endsWith('.tar'))
      const labels = { main: `registry-${args.pushSize}`, warm: 'registry-warmup' }
      const preexisting = { main: existed(labels.main), warm: existed(labels.warm) }
      const archive = await ensureArchive({ bytes: pushBytes, label: labels.main, seed: args.seed, dir: ARCHIVE_DIR, log })
      if (!preexisting.main) generated.push(archive.path)
      const warmup = await ensureArchive({ bytes: WARMUP_BYTES, label: labels.warm, seed: args.seed, dir: ARCHIVE_DIR, log })
      if (!preexisting.warm) generated.push(warmup.path)
      push = await benchPush(archive, warmup)
    }
    const notes = args.serverEnv.length ? [`Stowage (and its s3rver) ran with ${args.serverEnv.join(' ')}.`] : []
    notes.push(`S3: ${s3Label()}${externalS3() ? ' (a fresh bucket per Stowage instance, deleted after; the "s3rver" columns are the process listening on its port, 0 if not local)' : ''}; the direct path reads the same object from it.`)
    if (args.clientKinds.includes('curl')) notes.push('curl pulls (part 1) read the direct path from a presigned GetObject URL; curl\'s CPU is in "other", not "bench".')
    const results: RegistryResults = { started, machine: machineSummary(ROOT), loadAverage, ...pull, push, notes }
    const report = renderReport(results)
    fs.writeFileSync(RESULTS_FILE, report)
    console.log(report)
    for (const s of pullSummary(results)) log(`${s.client}: /v2 ${s.v2.toFixed(1)} MiB/s vs direct ${s.s3.toFixed(1)} MiB/s (${s.ratio.toFixed(2)})`)
    log(`written to ${path.relative(ROOT, RESULTS_FILE)}`)
  } finally {
    if (!args.keep) for (const file of generated) for (const f of [file, `${file}.json`]) fs.rmSync(f, { force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
