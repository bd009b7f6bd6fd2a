// Side-by-side push benchmark: `npm run bench:compare [-- --size 200M --repeat 1 --keep]`.
// In one run, on one S3 (S3_ENDPOINT if set, e.g. Ceph RGW; else one s3rver process started here), the same
// generated docker-save archive goes:
//   1. raw: written to the S3 as one object with the AWS SDK's multipart uploader (the floor: bytes to S3),
//   2. skopeo → distribution: `skopeo copy docker-archive:F docker://…` into Debian's docker-registry (S3 driver),
//   3. skopeo → Stowage: the same into a fresh Stowage (/v2 uploads),
//   4. console upload → Stowage: POST /api/uploads of the archive (what the browser sends) into another fresh Stowage.
// Wall time, bytes sent, MiB/s of archive bytes, ratios; a 40 MiB warm-up push/upload precedes each timed one.
// Prints and writes bench/out/registry-compare.md. It asserts nothing about time (it fails on a failed push).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Upload } from '@aws-sdk/lib-storage'
import { CreateBucketCommand, DeleteObjectCommand } from '@aws-sdk/client-s3'
import { ensureArchive, type GeneratedArchive } from './generate-archive'
import { parseSize } from './image-plan'
import { markdownTable, median, runHeader, writeReport } from './harness'
import { ensureNextBuild, startStowage, benchAuthorization } from './stowage-process'
import { skopeoPush, pushedImage, uploadArchive } from './registry-push'
import { startDistribution, distributionVersion } from './distribution'
import { deleteBucket, externalS3, freshBucketName, s3Client, shareOneS3, type S3Endpoint } from './s3-target'
import { MULTIPART_PART_SIZE } from '../lib/storage/s3-blob-store'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT_DIR = path.join(ROOT, 'bench', 'out')
const ARCHIVE_DIR = path.join(OUT_DIR, 'archives')
const RESULTS_FILE = path.join(OUT_DIR, 'registry-compare.md')
const MiB = 2 ** 20
const WARMUP_BYTES = 40 * MiB
const REF = 'bench/compare:1'

const log = (m: string) => console.error(`[bench:compare] ${m}`)

type Row = { path: string; run: number; seconds: number; bytesSent: number; note: string }

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const repeat = Number(get('repeat') ?? 1)
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat takes a positive integer')
  return { size: (get('size') ?? '200M').toUpperCase(), repeat, seed: get('seed') ?? 'stowage-bench', keep: argv.includes('--keep') }
}

/** The floor: the archive written to the same S3 as one object, 8 MiB parts, 4 in flight (lib-storage's default queue). */
async function rawWrite(s3: Omit<S3Endpoint, 'bucket'>, file: string): Promise<number> {
  const target = { ...s3, bucket: freshBucketName('raw') }
  const client = s3Client(target)
  try {
    await client.send(new CreateBucketCommand({ Bucket: target.bucket }))
    const started = performance.now()
    await new Upload({ client, params: { Bucket: target.bucket, Key: 'raw', Body: fs.createReadStream(file) }, partSize: MULTIPART_PART_SIZE, queueSize: 4, leavePartsOnError: false }).done()
    const seconds = (performance.now() - started) / 1000
    await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: 'raw' }))
    return seconds
  } finally {
    client.destroy()
    await deleteBucket(target)
  }
}

async function skopeoToDistribution(work: string, s3: Omit<S3Endpoint, 'bucket'> | null, archive: GeneratedArchive, warmup: GeneratedArchive, run: number): Promise<Row> {
  const dist = await startDistribution(path.join(work, `distribution-${run}`), s3 ? { ...s3, bucket: '' } : 'filesystem')
  try {
    await skopeoPush(warmup.path, dist.host, 'bench/warmup:1')
    const push = await skopeoPush(archive.path, dist.host, REF)
    const pushed = await pushedImage(dist.url, 'bench/compare', '1')
    return { path: 'skopeo → distribution', run, seconds: push.seconds, bytesSent: pushed.totalBytes, note: `gzip layers; skopeo CPU ${push.cpuSeconds.toFixed(1)} s` }
  } finally {
    await dist.stop()
  }
}

async function intoStowage(work: string, how: 'skopeo' | 'upload', archive: GeneratedArchive, warmup: GeneratedArchive, run: number): Promise<Row> {
  const dataDir = path.join(work, `stowage-${how}-${run}`)
  fs.mkdirSync(dataDir)
  const stowage = await startStowage(ROOT, dataDir)
  try {
    const host = stowage.url.replace(/^http:\/\//, '')
    if (how === 'skopeo') {
      await skopeoPush(warmup.path, host, 'bench/warmup:1')
      const push = await skopeoPush(archive.path, host, REF)
      const pushed = await pushedImage(stowage.url, 'bench/compare', '1')
      if (pushed.manifest.layers.length !== archive.diffIds.length) throw new Error(`pushed ${pushed.manifest.layers.length} layers, the archive has ${archive.diffIds.length}`)
      return { path: 'skopeo → Stowage', run, seconds: push.seconds, bytesSent: pushed.totalBytes, note: `gzip layers; skopeo CPU ${push.cpuSeconds.toFixed(1)} s` }
    }
    const warm = await uploadArchive(stowage.url, warmup.path, '?repository=bench/warmup&tag=1')
    if (warm.status !== 201) throw new Error(`warm-up upload answered ${warm.status}: ${JSON.stringify(warm.body)}`)
    const up = await uploadArchive(stowage.url, archive.path, '?repository=bench/compare&tag=1')
    if (up.status !== 201) throw new Error(`upload answered ${up.status}: ${JSON.stringify(up.body)}`)
    const detail = (await (await fetch(`${stowage.url}/api/repositories/bench/compare/tags/1`, { headers: { Authorization: benchAuthorization } })).json()) as any
    if (JSON.stringify(detail.layers.map((l: any) => l.digest)) !== JSON.stringify(archive.diffIds)) throw new Error('uploaded layers differ from the archive diff_ids')
    return { path: 'console upload → Stowage', run, seconds: up.seconds, bytesSent: archive.bytes, note: 'the docker-save archive as is (uncompressed layers)' }
  } finally {
    await stowage.stop()
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const version = distributionVersion()
  if (!version) throw new Error('docker-registry is not installed: apt-get install -y docker-registry')
  ensureNextBuild(ROOT, log)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-compare-'))
  let ownS3: Awaited<ReturnType<typeof shareOneS3>> = null
  const started = new Date()
  const loadAverage = os.loadavg()[0]
  const generated: string[] = []
  try {
    ownS3 = await shareOneS3(ROOT, path.join(work, 's3'), log)
    const s3 = externalS3()!
    // distribution's S3 driver needs ListMultipartUploads, which s3rver lacks (501): on s3rver it writes to its filesystem driver
    const distS3 = ownS3 ? null : s3
    const existed = (label: string) => fs.existsSync(ARCHIVE_DIR) && fs.readdirSync(ARCHIVE_DIR).some((f) => f.startsWith(`stowage-bench-${label.toLowerCase()}-`) && f.endsWith('.tar'))
    const labels = { main: `compare-${args.size}`, warm: 'compare-warmup' }
    const pre = { main: existed(labels.main), warm: existed(labels.warm) }
    const archive = await ensureArchive({ bytes: parseSize(args.size), label: labels.main, seed: args.seed, dir: ARCHIVE_DIR, log })
    const warmup = await ensureArchive({ bytes: WARMUP_BYTES, label: labels.warm, seed: args.seed, dir: ARCHIVE_DIR, log })
    if (!pre.main) generated.push(archive.path)
    if (!pre.warm) generated.push(warmup.path)
    const rows: Row[] = []
    const add = (r: Row) => {
      rows.push(r)
      log(`run ${r.run} ${r.path}: ${r.seconds.toFixed(1)} s, ${(r.bytesSent / MiB).toFixed(1)} MiB sent, ${(archive.bytes / MiB / r.seconds).toFixed(1)} MiB/s of archive`)
    }
    for (let run = 1; run <= args.repeat; run++) {
      add({ path: 'raw S3 multipart write', run, seconds: await rawWrite(s3, archive.path), bytesSent: archive.bytes, note: 'the archive file as one object' })
      add(await skopeoToDistribution(work, distS3, archive, warmup, run))
      add(await intoStowage(work, 'skopeo', archive, warmup, run))
      add(await intoStowage(work, 'upload', archive, warmup, run))
    }
    const paths = [...new Set(rows.map((r) => r.path))]
    const med = new Map(paths.map((p) => [p, median(rows.filter((r) => r.path === p).map((r) => r.seconds))]))
    const rateOf = (p: string) => archive.bytes / MiB / med.get(p)!
    const lines = [
      '# Push side by side: raw S3, skopeo → distribution, skopeo → Stowage, console upload → Stowage',
      '',
      runHeader(ROOT, started, loadAverage),
      `S3: ${ownS3 ? `one s3rver process started by the benchmark (${s3.endpoint})` : `${s3.endpoint} (S3_ENDPOINT)`}; every server in a fresh bucket of its own. distribution: ${version}, ${distS3 ? 'S3 driver on the same S3' : 'filesystem driver (its S3 driver needs ListMultipartUploads, which s3rver lacks)'}, no auth. Stowage: SQLite.`,
      `Archive: ${(archive.bytes / MiB).toFixed(1)} MiB, ${archive.diffIds.length} layers (bench/generate-archive.ts, seed "${args.seed}"); ${args.repeat} run(s), medians below.`,
      '',
      ...markdownTable(
        [
          ['path', 'left'],
          ['wall s (median)', 'right'],
          ['MiB sent', 'right'],
          ['archive MiB/s', 'right'],
          ['÷ raw S3', 'right'],
          ['÷ skopeo → distribution', 'right'],
        ],
        paths.map((p) => {
          const r = rows.find((x) => x.path === p)!
          return [p, med.get(p)!.toFixed(1), (r.bytesSent / MiB).toFixed(1), rateOf(p).toFixed(1), (rateOf(p) / rateOf('raw S3 multipart write')).toFixed(2), (rateOf(p) / rateOf('skopeo → distribution')).toFixed(2)]
        }),
      ),
      '',
      'Targets: console upload ≥ 0.8 × raw S3 write; console upload no slower than skopeo → distribution (÷ ≥ 1).',
      'MiB/s counts archive bytes for every path (the same image); "MiB sent" is what went over the wire: skopeo sends gzip layers (its CPU compresses them), the console upload the archive as is.',
      '',
      ...markdownTable(
        [
          ['run', 'right'],
          ['path', 'left'],
          ['wall s', 'right'],
          ['note', 'left'],
        ],
        rows.map((r) => [r.run, r.path, r.seconds.toFixed(1), r.note]),
      ),
    ]
    writeReport(ROOT, RESULTS_FILE, lines, log)
  } finally {
    await ownS3?.stop()
    fs.rmSync(work, { recursive: true, force: true })
    if (!args.keep) for (const file of generated) for (const f of [file, `${file}.json`]) fs.rmSync(f, { force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
