// Resumable upload benchmark: `npm run bench:resumable [-- --size 200M] [--chunk 32M] [--repeat 2] [--seed TEXT]`.
// Against a freshly started Stowage (as `npm start` runs it: compiled server, embedded s3rver, SQLite),
// the same generated archive is imported, alternately, by one streaming POST /api/uploads and over tus
// (POST /api/uploads/tus, then PATCHes of --chunk bytes each); each time from the first byte sent to the
// answer that the import committed. Prints MB/s of each and the ratio tus/POST (the target: ≥ 0.8).
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureArchive } from './generate-archive'
import { parseSize } from './image-plan'
import { startStowage, ensureNextBuild, benchAuthorization } from './stowage-process'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ARCHIVE_DIR = path.join(ROOT, 'bench', 'out', 'archives')
const MiB = 2 ** 20
const log = (m: string) => console.error(`[bench:resumable] ${m}`)

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string }

function send(url: string, method: string, headers: Record<string, string | number>, body?: fs.ReadStream): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: { Authorization: benchAuthorization, ...headers } })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (!body) return void req.end()
    body.on('error', (e) => req.destroy(e))
    body.pipe(req)
  })
}

async function viaPost(url: string, file: string, tag: string): Promise<number> {
  const bytes = fs.statSync(file).size
  const started = performance.now()
  const a = await send(`${url}/api/uploads?repository=bench/resumable&tag=${tag}`, 'POST', { 'Content-Type': 'application/x-tar', 'Content-Length': bytes }, fs.createReadStream(file, { highWaterMark: MiB }))
  if (a.status !== 201) throw new Error(`POST answered ${a.status}: ${a.body.slice(0, 300)}`)
  return (performance.now() - started) / 1000
}

async function viaTus(url: string, file: string, tag: string, chunk: number): Promise<number> {
  const bytes = fs.statSync(file).size
  const meta = [`filename ${Buffer.from(path.basename(file)).toString('base64')}`, `repository ${Buffer.from('bench/resumable').toString('base64')}`, `tag ${Buffer.from(tag).toString('base64')}`]
  const started = performance.now()
  const created = await send(`${url}/api/uploads/tus`, 'POST', { 'Tus-Resumable': '1.0.0', 'Upload-Length': bytes, 'Upload-Metadata': meta.join(',') })
  if (created.status !== 201) throw new Error(`tus create answered ${created.status}: ${created.body}`)
  const location = new URL(created.headers.location!, url).toString()
  for (let offset = 0; offset < bytes; ) {
    const end = Math.min(bytes, offset + chunk)
    const a = await send(
      location,
      'PATCH',
      { 'Tus-Resumable': '1.0.0', 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': offset, 'Content-Length': end - offset },
      fs.createReadStream(file, { start: offset, end: end - 1, highWaterMark: MiB }),
    )
    if (a.status !== 204) throw new Error(`PATCH at ${offset} answered ${a.status}: ${a.body.slice(0, 300)}`)
    offset = Number(a.headers['upload-offset'])
  }
  return (performance.now() - started) / 1000
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main() {
  const args = process.argv.slice(2)
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? args[i + 1] : undefined
  }
  const sizeText = opt('size') ?? '200M'
  const chunk = parseSize(opt('chunk') ?? '32M')
  const repeat = Number(opt('repeat') ?? 2)
  const archive = await ensureArchive({ bytes: parseSize(sizeText), label: sizeText.toUpperCase(), seed: opt('seed') ?? 'stowage-bench', dir: ARCHIVE_DIR, log })
  const distDir = process.env.STOWAGE_NEXT_DIST_DIR ?? '.next'
  if (!fs.existsSync(path.join(ROOT, distDir, 'BUILD_ID'))) ensureNextBuild(ROOT, log)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-resumable-'))
  const server = await startStowage(ROOT, dataDir)
  try {
    log(`server at ${server.url}; archive ${(archive.bytes / MiB).toFixed(1)} MiB; tus chunk ${(chunk / MiB).toFixed(0)} MiB; ${repeat} round(s)`)
    await viaPost(server.url, archive.path, 'warmup') // first import pays for cold caches
    const post: number[] = []
    const tus: number[] = []
    for (let i = 0; i < repeat; i++) {
      post.push(await viaPost(server.url, archive.path, `post-${i}`))
      tus.push(await viaTus(server.url, archive.path, `tus-${i}`, chunk))
      log(`round ${i + 1}: POST ${post[i].toFixed(2)} s, tus ${tus[i].toFixed(2)} s`)
    }
    const mbps = (s: number) => archive.bytes / 1e6 / s
    console.log(`archive: ${(archive.bytes / 1e6).toFixed(0)} MB, tus chunk ${(chunk / MiB).toFixed(0)} MiB, ${repeat} rounds (median)`)
    console.log(`streaming POST /api/uploads : ${mbps(median(post)).toFixed(1)} MB/s (${post.map((s) => s.toFixed(2)).join(', ')} s)`)
    console.log(`tus /api/uploads/tus        : ${mbps(median(tus)).toFixed(1)} MB/s (${tus.map((s) => s.toFixed(2)).join(', ')} s)`)
    console.log(`ratio tus / POST            : ${(median(post) / median(tus)).toFixed(2)} (target ≥ 0.8)`)
  } finally {
    await server.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
