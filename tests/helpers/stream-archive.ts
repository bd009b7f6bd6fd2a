// Writes large test archives straight to a temp file (never whole in memory): tar entries whose
// bodies are generated block by block, and raw bytes (e.g. a zip header followed by filler).
import fs from 'node:fs'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import tar from 'tar-stream'

export type StreamedEntry = { name: string; size: number } | { name: string; data: Buffer }

/** 1 MiB of random bytes repeated: incompressible enough, cheap to produce. */
const FILLER = randomBytes(1024 * 1024)

async function writeFiller(out: NodeJS.WritableStream, size: number) {
  for (let left = size; left > 0; ) {
    const n = Math.min(left, FILLER.length)
    if (!out.write(n === FILLER.length ? FILLER : FILLER.subarray(0, n))) await once(out as any, 'drain')
    left -= n
  }
}

/** A tar file of the given entries; sized entries get filler bytes. Returns the file's size. */
export async function writeTarFile(file: string, entries: StreamedEntry[]): Promise<number> {
  const pack = tar.pack()
  const out = fs.createWriteStream(file)
  const written = new Promise<void>((resolve, reject) => {
    out.on('finish', () => resolve())
    out.on('error', reject)
  })
  pack.pipe(out)
  for (const e of entries) {
    if ('data' in e) {
      await new Promise<void>((resolve, reject) => pack.entry({ name: e.name, size: e.data.length, mtime: new Date(0) }, e.data, (err) => (err ? reject(err) : resolve())))
      continue
    }
    const sink = pack.entry({ name: e.name, size: e.size, mtime: new Date(0) })
    const done = new Promise<void>((resolve, reject) => {
      sink.on('finish', () => resolve())
      sink.on('error', reject)
    })
    await writeFiller(sink as any, e.size)
    ;(sink as any).end()
    await done
  }
  pack.finalize()
  await written
  return fs.statSync(file).size
}

/** `head` followed by `size - head.length` filler bytes (a "zip" or random upload of any size). */
export async function writeRawFile(file: string, head: Buffer, size: number): Promise<number> {
  const out = fs.createWriteStream(file)
  out.write(head)
  await writeFiller(out, size - head.length)
  out.end()
  await once(out, 'finish')
  return size
}

/** The first bytes of a zip file (local file header signature). */
export const ZIP_HEAD = Buffer.from('504b0304140000000800', 'hex')
