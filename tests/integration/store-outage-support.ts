// Shared by the embedded object store tests: a slow, streamed archive upload that can be held while the
// store is killed, and a look at what the embedded store keeps on disk.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { randomBytes } from 'node:crypto'

/** A 512-byte ustar header for a regular file. */
export function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512)
  const put = (value: string, offset: number, length: number) => h.write(value, offset, length, 'ascii')
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0'
  put(name, 0, 100)
  put(octal(0o644, 8), 100, 8)
  put(octal(0, 8), 108, 8)
  put(octal(0, 8), 116, 8)
  put(octal(size, 12), 124, 12)
  put(octal(0, 12), 136, 12)
  put('        ', 148, 8)
  put('0', 156, 1)
  put('ustar\0', 257, 6)
  put('00', 263, 2)
  let sum = 0
  for (const b of h) sum += b
  put(octal(sum, 7) + ' ', 148, 8)
  return h
}

/** Files the embedded store keeps for unfinished multipart uploads (their parts). */
export function multipartLeftovers(s3Dir: string, bucket = 'layers'): string[] {
  const root = path.join(s3Dir, bucket, '._S3rver_uploads')
  if (!fs.existsSync(root)) return []
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
}

/** Object files in the embedded store's bucket (s3rver keeps each object as <key>._S3rver_object). */
export function storedObjects(s3Dir: string, bucket = 'layers'): string[] {
  const root = path.join(s3Dir, bucket)
  if (!fs.existsSync(root)) return []
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('._S3rver_object'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).replace(/\._S3rver_object$/, ''))
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000, everyMs = 100) {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

export const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0)
    // a killed child that its parent has not reaped yet is a zombie: it holds nothing any more
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/**
 * POSTs an archive whose second layer is `bigBytes` long, sending its body in 1 MiB pieces; once
 * `holdAfter` bytes of that layer are sent it waits for `release()` before sending more, slowly, until
 * `stop()`. Resolves with the answer, or null when the connection broke instead.
 */
export function streamedUpload(url: string, opts: { bigBytes: number; holdAfter: number; authorization?: string }) {
  const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/x-tar', ...(opts.authorization ? { Authorization: opts.authorization } : {}) } })
  let released!: () => void
  const gate = new Promise<void>((r) => (released = r))
  let stopped = false
  const answer = new Promise<{ status: number; body: string } | null>((resolve) => {
    req.on('response', (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
      res.on('error', () => resolve(null))
    })
    req.on('error', () => resolve(null))
  })
  const write = (b: Buffer) => {
    if (req.destroyed) return Promise.reject(new Error('the request is over'))
    if (req.write(b)) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = () => {
        req.off('drain', done)
        req.off('close', done)
        resolve()
      }
      req.once('drain', done)
      req.once('close', done)
    })
  }
  const sent = (async () => {
    const small = randomBytes(300_000)
    await write(tarHeader('a'.repeat(64) + '.tar', small.length))
    await write(Buffer.concat([small, Buffer.alloc(512 - (small.length % 512))]))
    await write(tarHeader('b'.repeat(64) + '.tar', opts.bigBytes))
    let n = 0
    const piece = randomBytes(1024 * 1024)
    while (n < opts.holdAfter && !stopped) {
      await write(piece)
      n += piece.length
    }
    await gate
    // keep the connection alive (and the server reading) until told to stop
    while (!stopped && n + piece.length < opts.bigBytes) {
      await write(piece.subarray(0, 64 * 1024))
      n += 64 * 1024
      await new Promise((r) => setTimeout(r, 20))
    }
  })().catch(() => {})
  return {
    answer,
    release: () => released(),
    stop: async () => {
      stopped = true
      released()
      req.destroy()
      await sent
    },
  }
}
