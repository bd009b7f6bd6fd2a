// Import benchmark: `npm run bench [-- --sizes 50M,500M,2G] [--repeat N] [--keep] [--seed TEXT]`.
// For each size, against a freshly started Stowage (as `npm start` runs it: compiled server, embedded s3rver, SQLite), after a
// warm-up import:
//   - raw S3 multipart write of the same file to the same s3rver, as the S3 driver writes (baseline),
//     right before and right after the import
//   - import throughput: POST the archive to /api/uploads, first byte -> 201
//   - peak RSS of the server process during the upload (sampled every 50 ms) and its VmHWM
//   - background compressed-size computation: wall time, server CPU time, cores used
// Prints tables and writes them to bench/out/import-results.md. See bench/README.md.
//
// `npm run bench -- --back-to-back [--sizes 200M] [--uploads 3] [--gate on,off]`: uploads of distinct archives
// of the same size, each started as soon as the previous one answered, so each runs while the previous
// one's compressed sizes are being measured; per upload its throughput against a raw S3 write of the same
// file, with the foreground gate on (uploads first) and off (STOWAGE_FOREGROUND_PRIORITY=false).
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Upload } from '@aws-sdk/lib-storage'
import { DeleteObjectCommand } from '@aws-sdk/client-s3'
import { createS3Client, MULTIPART_PART_SIZE } from '../lib/storage/s3-blob-store'
import { ensureArchive, type GeneratedArchive } from './generate-archive'
import { parseSize } from './image-plan'
import { RssSampler, CpuWindow, memory, machineBusySeconds, machineSummary } from './proc-stats'
import { externalS3, s3Label, type S3Endpoint } from './s3-target'
import { startStowage, ensureNextBuild, benchAuthorization, type StowageProcess } from './stowage-process'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT_DIR = path.join(ROOT, 'bench', 'out')
const ARCHIVE_DIR = path.join(OUT_DIR, 'archives')
const RESULTS_FILE = path.join(OUT_DIR, 'import-results.md')
/** lib-storage's default queue size: the SDK's own uploader as users would run it (Stowage's writer sends 2 at a time) */
const RAW_QUEUE_SIZE = 4
const BUCKET = 'layers'
/** big enough that some layers exceed one multipart part, so the multipart path is warm too */
const WARMUP_BYTES = 40 * 2 ** 20

const MiB = 2 ** 20
const log = (m: string) => console.error(`[bench] ${m}`)

type SizeResult = {
  label: string
  archive: GeneratedArchive
  uncompressed: number
  compressed: number
  importSeconds: number
  /** mean of the raw write right before and right after the import */
  rawSeconds: number
  rawSecondsBefore: number
  rawSecondsAfter: number
  rssBefore: number
  rssPeakUpload: number
  hwmAfterUpload: number
  rssPeakCompress: number
  s3rverRssPeakUpload: number
  s3rverRssPeakRaw: number
  serverCoresUpload: number
  s3rverCoresUpload: number
  benchCoresUpload: number
  otherCoresUpload: number
  s3rverCoresRaw: number
  benchCoresRaw: number
  otherCoresRaw: number
  compressWallSeconds: number
  compressCpuSeconds: number
  s3rverCoresCompress: number
  otherCoresCompress: number
  /** seconds after the 201 at which each layer's compressed size was first seen, ascending */
  layerDoneSeconds: number[]
  loadAverage: number
}

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const sizeList = (get('sizes') ?? '50M,500M').split(',').map((s) => s.trim()).filter(Boolean)
  const repeat = Number(get('repeat') ?? 1)
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat takes a positive integer')
  const backToBack = argv.includes('--back-to-back')
  const uploads = Number(get('uploads') ?? 3)
  if (!Number.isInteger(uploads) || uploads < 2) throw new Error('--uploads takes a whole number >= 2')
  const gates = (get('gate') ?? 'on,off').split(',').map((g) => g.trim())
  if (gates.some((g) => g !== 'on' && g !== 'off')) throw new Error('--gate takes on, off or on,off')
  const sizes = get('sizes') ? sizeList : backToBack ? ['200M'] : sizeList
  return { sizes, keep: argv.includes('--keep'), seed: get('seed') ?? 'stowage-bench', repeat, backToBack, uploads, gates: gates as ('on' | 'off')[] }
}

function freeBytes(dir: string) {
  const s = fs.statfsSync(dir)
  return s.bavail * s.bsize
}

function syncDisks() {
  // Dirty pages of one phase must not be flushed on the next phase's time.
  execFileSync('sync')
}

/** POSTs the file as the raw request body; resolves when the response has been read. */
function postArchive(url: string, file: string, bytes: number): Promise<{ status: number; body: any; seconds: number }> {
  return new Promise((resolve, reject) => {
    let started = 0
    let answered = 0
    const req = http.request(`${url}/api/uploads`, {
      method: 'POST',
      agent: false,
      headers: { Authorization: benchAuthorization, 'Content-Type': 'application/x-tar', 'Content-Length': bytes, 'X-Filename': path.basename(file) },
    })
    req.on('response', (res) => {
      answered = performance.now()
      const chunks: Buffer[] = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        let body: any = text
        try {
          body = JSON.parse(text)
        } catch {
          // keep the text for the error message
        }
        resolve({ status: res.statusCode ?? 0, body, seconds: (answered - started) / 1000 })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    const source = fs.createReadStream(file, { highWaterMark: MiB })
    source.once('data', () => (started = performance.now()))
    source.on('error', (e) => req.destroy(e))
    source.pipe(req)
  })
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: { Authorization: benchAuthorization } })
  return { status: res.status, body: await res.json() }
}

/** Polls the tag until every layer's compressed size is known; notes when each layer was first seen done. */
async function waitForCompressedSizes(stowage: StowageProcess, archive: GeneratedArchive, timeoutMs: number) {
  const url = `${stowage.url}/api/repositories/${archive.repository}/tags/${encodeURIComponent(archive.tag)}`
  const started = performance.now()
  const doneAt = new Map<string, number>()
  for (;;) {
    const { status, body } = await getJson(url)
    if (status !== 200) throw new Error(`GET ${url} answered ${status}: ${JSON.stringify(body)}`)
    for (const l of body.layers) if (l.compressedState === 'done' && !doneAt.has(l.digest)) doneAt.set(l.digest, (performance.now() - started) / 1000)
    if (body.sizes.compressedState === 'done') return { detail: body, layerDoneSeconds: [...doneAt.values()].sort((x, y) => x - y) }
    if (body.sizes.compressedState === 'failed') throw new Error(`the compressed-size computation failed: ${JSON.stringify(body.layers)}`)
    if (performance.now() - started > timeoutMs) throw new Error(`compressed sizes not done after ${timeoutMs / 1000} s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The baseline: the same bytes written as one object with the AWS SDK's lib-storage uploader, same client settings and part size as the S3 driver. */
async function rawS3Write(s3: S3Endpoint, file: string, key: string): Promise<number> {
  const client = createS3Client(s3)
  const started = performance.now()
  const upload = new Upload({
    client,
    params: { Bucket: s3.bucket, Key: key, Body: fs.createReadStream(file) },
    partSize: MULTIPART_PART_SIZE,
    queueSize: RAW_QUEUE_SIZE,
    leavePartsOnError: false,
  })
  await upload.done()
  const seconds = (performance.now() - started) / 1000
  await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }))
  client.destroy()
  return seconds
}

function verifyImport(archive: GeneratedArchive, upload: { status: number; body: any }, detail: any) {
  if (upload.status !== 201) throw new Error(`upload answered ${upload.status}: ${JSON.stringify(upload.body)}`)
  const digests = detail.layers.map((l: any) => l.digest)
  if (JSON.stringify(digests) !== JSON.stringify(archive.diffIds)) {
    throw new Error(`stored layers ${digests.join(',')} differ from the archive's diff_ids ${archive.diffIds.join(',')}`)
  }
  const uncompressed = archive.layerBytes.reduce((n, b) => n + b, 0)
  if (detail.sizes.uncompressed !== uncompressed) throw new Error(`uncompressed size ${detail.sizes.uncompressed}, expected ${uncompressed}`)
  if (detail.sizes.packed !== archive.bytes) throw new Error(`packed size ${detail.sizes.packed}, expected ${archive.bytes}`)
  if (detail.configDigest !== archive.configDigest) throw new Error(`config ${detail.configDigest}, expected ${archive.configDigest}`)
}

type RawRun = { seconds: number; s3rverCores: number; benchCores: number; otherCores: number; s3rverRssPeak: number }

/** One raw S3 write of the archive, with the CPU and memory of the processes involved. */
async function measureRaw(stowage: StowageProcess, archive: GeneratedArchive, key: string): Promise<RawRun> {
  syncDisks()
  const rss = new RssSampler([stowage.s3Pid], 50)
  const cpu = new CpuWindow([stowage.s3Pid, process.pid])
  const busy0 = machineBusySeconds()
  const seconds = await rawS3Write(stowage.s3, archive.path, key)
  const usage = cpu.stop()
  const busy = machineBusySeconds() - busy0
  const own = usage.cpu.get(stowage.s3Pid)! + usage.cpu.get(process.pid)!
  syncDisks()
  return {
    seconds,
    s3rverCores: usage.cpu.get(stowage.s3Pid)! / usage.wallSeconds,
    benchCores: usage.cpu.get(process.pid)! / usage.wallSeconds,
    otherCores: Math.max(0, busy - own) / usage.wallSeconds,
    s3rverRssPeak: rss.stop().get(stowage.s3Pid) ?? 0,
  }
}

async function benchSize(label: string, bytes: number, archive: GeneratedArchive, warmup: GeneratedArchive): Promise<SizeResult> {
  syncDisks()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-'))
  const rawKey = `bench/raw-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`
  let stowage: StowageProcess | null = null
  try {
    log(`${label}: starting Stowage (data in ${dataDir})`)
    stowage = await startStowage(ROOT, dataDir)
    const { serverPid, s3Pid } = stowage
    log(`${label}: server pid ${serverPid}, s3rver pid ${s3Pid}, launcher pid ${stowage.launcherPid}, ${stowage.url}`)
    // A first small import pays one-time costs (query compilation, lazy modules, JIT): keep them out of the numbers.
    const upWarm = await postArchive(stowage.url, warmup.path, warmup.bytes)
    if (upWarm.status !== 201) throw new Error(`warm-up upload answered ${upWarm.status}: ${JSON.stringify(upWarm.body)}`)
    await waitForCompressedSizes(stowage, warmup, 120_000)

    // The raw baseline runs right before and right after the import, so a machine that gets busier
    // or quieter during the run disturbs both sides of the ratio alike.
    log(`${label}: raw S3 multipart write of the same file (before)`)
    const rawBefore = await measureRaw(stowage, archive, rawKey)
    const rssBefore = memory(serverPid)!.rss
    const loadAverage = os.loadavg()[0]

    // 1. import
    log(`${label}: uploading ${(archive.bytes / MiB).toFixed(0)} MiB`)
    const uploadRss = new RssSampler([serverPid, s3Pid], 50)
    const uploadCpu = new CpuWindow([serverPid, s3Pid, process.pid])
    const busy0 = machineBusySeconds()
    const upload = await postArchive(stowage.url, archive.path, archive.bytes)
    const uploadUsage = uploadCpu.stop()
    const busyUpload = machineBusySeconds() - busy0
    const uploadPeaks = uploadRss.stop()
    const hwmAfterUpload = memory(serverPid)!.hwm
    if (upload.status !== 201) throw new Error(`upload answered ${upload.status}: ${JSON.stringify(upload.body)}`)

    // 2. compressed sizes, computed in the background after the commit
    const compressRss = new RssSampler([serverPid], 50)
    const compressCpu = new CpuWindow([serverPid, s3Pid, process.pid])
    const busyCompress0 = machineBusySeconds()
    const { detail, layerDoneSeconds } = await waitForCompressedSizes(stowage, archive, Math.max(600_000, (bytes / (2 * 1e6)) * 1000))
    const compressUsage = compressCpu.stop()
    const busyCompress = machineBusySeconds() - busyCompress0
    const compressPeaks = compressRss.stop()
    verifyImport(archive, upload, detail)
    log(`${label}: import verified (${detail.layers.length} layers, diff_ids match); compressed ${detail.sizes.compressed} bytes`)

    // 3. raw S3 multipart write again
    log(`${label}: raw S3 multipart write of the same file (after)`)
    const rawAfter = await measureRaw(stowage, archive, rawKey)

    const up = (pid: number) => uploadUsage.cpu.get(pid)! / uploadUsage.wallSeconds
    const ownUpload = [serverPid, s3Pid, process.pid].reduce((n, p) => n + uploadUsage.cpu.get(p)!, 0)
    const ownCompress = [serverPid, s3Pid, process.pid].reduce((n, p) => n + compressUsage.cpu.get(p)!, 0)
    const mean = (f: (r: RawRun) => number) => (f(rawBefore) + f(rawAfter)) / 2
    return {
      label,
      archive,
      uncompressed: detail.sizes.uncompressed,
      compressed: detail.sizes.compressed,
      importSeconds: upload.seconds,
      rawSeconds: mean((r) => r.seconds),
      rawSecondsBefore: rawBefore.seconds,
      rawSecondsAfter: rawAfter.seconds,
      rssBefore,
      rssPeakUpload: uploadPeaks.get(serverPid) ?? 0,
      hwmAfterUpload,
      rssPeakCompress: compressPeaks.get(serverPid) ?? 0,
      s3rverRssPeakUpload: uploadPeaks.get(s3Pid) ?? 0,
      s3rverRssPeakRaw: Math.max(rawBefore.s3rverRssPeak, rawAfter.s3rverRssPeak),
      serverCoresUpload: up(serverPid),
      s3rverCoresUpload: up(s3Pid),
      benchCoresUpload: up(process.pid),
      otherCoresUpload: Math.max(0, busyUpload - ownUpload) / uploadUsage.wallSeconds,
      s3rverCoresRaw: mean((r) => r.s3rverCores),
      benchCoresRaw: mean((r) => r.benchCores),
      otherCoresRaw: mean((r) => r.otherCores),
      compressWallSeconds: compressUsage.wallSeconds,
      compressCpuSeconds: compressUsage.cpu.get(serverPid)!,
      s3rverCoresCompress: compressUsage.cpu.get(s3Pid)! / compressUsage.wallSeconds,
      otherCoresCompress: Math.max(0, busyCompress - ownCompress) / compressUsage.wallSeconds,
      layerDoneSeconds,
      loadAverage,
    }
  } finally {
    await stowage?.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

type BackToBackUpload = { seconds: number; pendingLayersAtStart: number; layers: number }
type BackToBackResult = { label: string; gate: 'on' | 'off'; archiveBytes: number; rawSeconds: number; uploads: BackToBackUpload[]; measureSeconds: number }

/** Layers of the archive's tag whose compressed size is not known yet. */
async function pendingLayers(stowage: StowageProcess, archive: GeneratedArchive): Promise<number> {
  const { status, body } = await getJson(`${stowage.url}/api/repositories/${archive.repository}/tags/${encodeURIComponent(archive.tag)}`)
  if (status !== 200) throw new Error(`tag ${archive.repository}:${archive.tag} answered ${status}`)
  return body.layers.filter((l: any) => l.compressedState !== 'done').length
}

/** Uploads back to back on one fresh Stowage, the gate on or off; raw S3 writes of the first file before and after. */
async function benchBackToBack(label: string, archives: GeneratedArchive[], warmup: GeneratedArchive, gate: 'on' | 'off'): Promise<BackToBackResult> {
  syncDisks()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-'))
  let stowage: StowageProcess | null = null
  try {
    log(`${label}, gate ${gate}: starting Stowage (STOWAGE_FOREGROUND_PRIORITY=${gate === 'on'})`)
    stowage = await startStowage(ROOT, dataDir, { STOWAGE_FOREGROUND_PRIORITY: gate === 'on' ? 'true' : 'false' })
    const upWarm = await postArchive(stowage.url, warmup.path, warmup.bytes)
    if (upWarm.status !== 201) throw new Error(`warm-up upload answered ${upWarm.status}: ${JSON.stringify(upWarm.body)}`)
    await waitForCompressedSizes(stowage, warmup, 120_000)
    const rawKey = 'bench/raw-back-to-back'
    const rawBefore = await measureRaw(stowage, archives[0], rawKey)
    const uploads: BackToBackUpload[] = []
    for (const [i, archive] of archives.entries()) {
      // how much of the previous upload is still being measured as this one starts
      const pending = i === 0 ? 0 : await pendingLayers(stowage, archives[i - 1])
      log(`${label}, gate ${gate}: upload ${i + 1}/${archives.length} (${pending} layers of the previous one still being measured)`)
      const up = await postArchive(stowage.url, archive.path, archive.bytes)
      if (up.status !== 201) throw new Error(`upload answered ${up.status}: ${JSON.stringify(up.body)}`)
      uploads.push({ seconds: up.seconds, pendingLayersAtStart: pending, layers: archive.diffIds.length })
    }
    const measureStarted = performance.now()
    for (const archive of archives) {
      const { detail } = await waitForCompressedSizes(stowage, archive, 900_000)
      verifyImport(archive, { status: 201, body: null }, detail)
    }
    const measureSeconds = (performance.now() - measureStarted) / 1000
    syncDisks()
    const rawAfter = await measureRaw(stowage, archives[0], rawKey)
    return { label, gate, archiveBytes: archives[0].bytes, rawSeconds: (rawBefore.seconds + rawAfter.seconds) / 2, uploads, measureSeconds }
  } finally {
    await stowage?.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

function backToBackTable(results: BackToBackResult[]): string {
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  const lines = [
    '### Uploads back to back (each starts when the previous answered, while its compressed sizes are measured)',
    '',
    row(['size', 'gate', 'upload', 'layers of the previous upload still measured at start', 'upload s', 'upload MiB/s', 'raw S3 MiB/s', 'upload/raw']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:']),
  ]
  for (const r of results) {
    for (const [i, u] of r.uploads.entries()) {
      lines.push(row([r.label, r.gate, i + 1, i === 0 ? '— (idle server)' : `${u.pendingLayersAtStart} of ${r.uploads[i - 1].layers}`, u.seconds.toFixed(2), rate(r.archiveBytes, u.seconds), rate(r.archiveBytes, r.rawSeconds), (r.rawSeconds / u.seconds).toFixed(2)]))
    }
  }
  lines.push('', row(['size', 'gate', 'idle upload/raw', 'busy uploads/raw (mean)', 'measuring after the last upload s']), row(['---', '---', '---:', '---:', '---:']))
  for (const r of results) {
    const busy = r.uploads.slice(1).map((u) => r.rawSeconds / u.seconds)
    lines.push(row([r.label, r.gate, (r.rawSeconds / r.uploads[0].seconds).toFixed(2), (busy.reduce((a, b) => a + b, 0) / busy.length).toFixed(2), r.measureSeconds.toFixed(1)]))
  }
  return lines.join('\n')
}

const mib = (n: number) => (n / MiB).toFixed(1)
const rate = (bytes: number, s: number) => (bytes / MiB / s).toFixed(1)

function tables(results: SizeResult[]): string {
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  const t1 = [
    row(['size', 'archive MiB', 'layers', 'import s', 'import MiB/s', 'raw S3 s before / after', 'raw S3 MiB/s (mean)', 'import/raw', 'target']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
    ...results.map((r) =>
      row([
        r.label,
        mib(r.archive.bytes),
        r.archive.diffIds.length,
        r.importSeconds.toFixed(2),
        rate(r.archive.bytes, r.importSeconds),
        `${r.rawSecondsBefore.toFixed(2)} / ${r.rawSecondsAfter.toFixed(2)}`,
        rate(r.archive.bytes, r.rawSeconds),
        (r.rawSeconds / r.importSeconds).toFixed(2),
        r.rawSeconds / r.importSeconds >= 0.8 ? 'ok (>= 0.8)' : 'BELOW 0.8',
      ]),
    ),
  ]
  const t2 = [
    row(['size', 'server RSS idle MiB', 'peak RSS upload MiB', 'VmHWM MiB', 'peak RSS compress MiB', 's3rver peak RSS upload / raw MiB', 'target']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---']),
    ...results.map((r) =>
      row([
        r.label,
        mib(r.rssBefore),
        mib(r.rssPeakUpload),
        mib(r.hwmAfterUpload),
        mib(r.rssPeakCompress),
        `${mib(r.s3rverRssPeakUpload)} / ${mib(r.s3rverRssPeakRaw)}`,
        Math.max(r.rssPeakUpload, r.rssPeakCompress) <= 300 * MiB ? 'ok (<= 300)' : 'ABOVE 300',
      ]),
    ),
  ]
  const t3 = [
    row(['size', 'load avg before', 'CPU cores during upload: server / s3rver / bench / other', 'during raw (mean of 2): s3rver / bench / other']),
    row(['---', '---:', '---', '---']),
    ...results.map((r) =>
      row([
        r.label,
        r.loadAverage.toFixed(2),
        [r.serverCoresUpload, r.s3rverCoresUpload, r.benchCoresUpload, r.otherCoresUpload].map((n) => n.toFixed(2)).join(' / '),
        [r.s3rverCoresRaw, r.benchCoresRaw, r.otherCoresRaw].map((n) => n.toFixed(2)).join(' / '),
      ]),
    ),
  ]
  const t4 = [
    row(['size', 'uncompressed MiB', 'compressed MiB', 'compressed/uncompressed', 'compress wall s', 'first / last layer done s', 'last layer alone s', 'server CPU s', 'cores used', 's3rver / other cores', 'target']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
    ...results.map((r) => {
      const cores = r.compressCpuSeconds / r.compressWallSeconds
      return row([
        r.label,
        mib(r.uncompressed),
        mib(r.compressed),
        (r.compressed / r.uncompressed).toFixed(3),
        r.compressWallSeconds.toFixed(2),
        `${r.layerDoneSeconds[0].toFixed(1)} / ${r.layerDoneSeconds[r.layerDoneSeconds.length - 1].toFixed(1)}`,
        (r.layerDoneSeconds.length > 1 ? r.layerDoneSeconds[r.layerDoneSeconds.length - 1] - r.layerDoneSeconds[r.layerDoneSeconds.length - 2] : 0).toFixed(1),
        r.compressCpuSeconds.toFixed(2),
        cores.toFixed(2),
        `${r.s3rverCoresCompress.toFixed(2)} / ${r.otherCoresCompress.toFixed(2)}`,
        cores > 1 ? 'ok (> 1)' : 'NOT PARALLEL',
      ])
    }),
  ]
  return [
    ...summary(results),
    '### Throughput (import = POST /api/uploads first byte -> 201; raw = lib-storage multipart of the same file, before and after the import)',
    '',
    ...t1,
    '',
    '### Memory of the server process (the node process running the compiled server.ts)',
    '',
    ...t2,
    '',
    '### CPU while uploading (cores = CPU seconds / wall seconds; "other" = the rest of the machine)',
    '',
    ...t3,
    '',
    '### Compressed size (gzip -6 per layer, background, from the 201 until every layer is done)',
    '',
    ...t4,
  ].join('\n')
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** With --repeat: one line per size with the medians (and the worst memory), before the per-run tables. */
function summary(results: SizeResult[]): string[] {
  const bySize = new Map<string, SizeResult[]>()
  for (const r of results) {
    const size = r.label.replace(/ #\d+$/, '')
    bySize.set(size, [...(bySize.get(size) ?? []), r])
  }
  if ([...bySize.values()].every((runs) => runs.length === 1)) return []
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  return [
    '### Summary: medians over the runs (worst case for memory)',
    '',
    row(['size', 'runs', 'import MiB/s', 'raw S3 MiB/s', 'import/raw', 'max peak RSS upload MiB', 'compress cores used']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...[...bySize].map(([size, runs]) =>
      row([
        size,
        runs.length,
        median(runs.map((r) => r.archive.bytes / MiB / r.importSeconds)).toFixed(1),
        median(runs.map((r) => r.archive.bytes / MiB / r.rawSeconds)).toFixed(1),
        median(runs.map((r) => r.rawSeconds / r.importSeconds)).toFixed(2),
        mib(Math.max(...runs.map((r) => r.rssPeakUpload))),
        median(runs.map((r) => r.compressCpuSeconds / r.compressWallSeconds)).toFixed(2),
      ]),
    ),
    '',
  ]
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const sizes = args.sizes.map((label) => ({ label: label.toUpperCase(), bytes: parseSize(label) }))
  fs.mkdirSync(ARCHIVE_DIR, { recursive: true })
  ensureNextBuild(ROOT, log)

  const started = new Date()
  const load = os.loadavg()[0]
  const results: SizeResult[] = []
  const backToBack: BackToBackResult[] = []
  const skipped: string[] = []
  const generated = new Set<string>()
  try {
    const warmup = await ensureArchive({ bytes: WARMUP_BYTES, label: 'warmup', seed: args.seed, dir: ARCHIVE_DIR, log })
    generated.add(warmup.path)
    for (const { label, bytes } of args.backToBack ? sizes : []) {
      // distinct archives (seeds and tags), so every upload brings layers of its own to measure
      const archives: GeneratedArchive[] = []
      for (let i = 1; i <= args.uploads; i++) {
        const a = await ensureArchive({ bytes, label: `${label}-b${i}`, seed: `${args.seed}-back-to-back-${i}`, dir: ARCHIVE_DIR, log })
        generated.add(a.path)
        archives.push(a)
      }
      for (let run = 1; run <= args.repeat; run++) {
        for (const gate of args.gates) {
          const r = await benchBackToBack(args.repeat > 1 ? `${label} #${run}` : label, archives, warmup, gate)
          backToBack.push(r)
          log(`${r.label}, gate ${gate}: upload/raw ${r.uploads.map((u) => (r.rawSeconds / u.seconds).toFixed(2)).join(', ')} (first on an idle server)`)
        }
      }
    }
    for (const { label, bytes } of args.backToBack ? [] : sizes) {
      // archive + layers in s3rver + s3rver's multipart parts + the raw copy and its parts
      const needed = 4.5 * bytes + 2 ** 30
      const free = Math.min(freeBytes(OUT_DIR), freeBytes(os.tmpdir()))
      if (free < needed) {
        const why = `${label}: skipped, needs ~${(needed / 2 ** 30).toFixed(1)} GiB free, ${(free / 2 ** 30).toFixed(1)} GiB available`
        log(why)
        skipped.push(why)
        continue
      }
      const archive = await ensureArchive({ bytes, label, seed: args.seed, dir: ARCHIVE_DIR, log })
      generated.add(archive.path)
      for (let run = 1; run <= args.repeat; run++) {
        const name = args.repeat > 1 ? `${label} #${run}` : label
        const r = await benchSize(name, bytes, archive, warmup)
        results.push(r)
        log(`${name}: import ${rate(r.archive.bytes, r.importSeconds)} MiB/s, raw ${rate(r.archive.bytes, r.rawSeconds)} MiB/s, peak RSS ${mib(r.rssPeakUpload)} MiB, compressed in ${r.compressWallSeconds.toFixed(1)} s using ${(r.compressCpuSeconds / r.compressWallSeconds).toFixed(2)} cores`)
      }
    }
  } finally {
    if (!args.keep) {
      for (const file of generated) for (const f of [file, `${file}.json`]) fs.rmSync(f, { force: true })
    }
  }

  const report = [
    `# Stowage import benchmark`,
    '',
    `${started.toISOString()} — ${machineSummary(ROOT)}; 1-min load average at start ${load.toFixed(2)}; seed "${args.seed}"; S3: ${s3Label()} (the "s3rver" columns are that S3 server's process${externalS3() ? ', a fresh bucket per run' : ''}).`,
    '',
    args.backToBack ? backToBackTable(backToBack) : tables(results),
    ...(skipped.length ? ['', ...skipped.map((s) => `- ${s}`)] : []),
    '',
    'Column meanings: bench/README.md.',
    '',
  ].join('\n')
  const file = args.backToBack ? path.join(OUT_DIR, 'import-back-to-back.md') : RESULTS_FILE
  fs.writeFileSync(file, report)
  console.log(report)
  log(`written to ${path.relative(ROOT, file)}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
