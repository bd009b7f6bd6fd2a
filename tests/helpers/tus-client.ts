// A small tus 1.0.0 client over node:http for tests and the benchmark: it can cut its own connection
// after a given number of body bytes (the socket is destroyed mid-PATCH, as a network loss would).
import fs from 'node:fs'
import http from 'node:http'

export type TusAnswer = { status: number; headers: http.IncomingHttpHeaders; body: string }

const metadataHeader = (meta: Record<string, string>) =>
  Object.entries(meta)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',')

export function tusRequest(url: string, method: string, headers: Record<string, string>, body?: Buffer | fs.ReadStream, cutAfter?: number): Promise<TusAnswer | 'cut'> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'Tus-Resumable': '1.0.0', ...headers }, agent: false })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      res.on('error', () => resolve('cut'))
    })
    req.on('error', (e) => (cutAfter !== undefined ? resolve('cut') : reject(e)))
    if (!body) return void req.end()
    if (Buffer.isBuffer(body)) return void req.end(body)
    let sent = 0
    body.on('data', (chunk) => {
      const c = chunk as Buffer
      if (cutAfter !== undefined && sent + c.length >= cutAfter) {
        req.write(c.subarray(0, cutAfter - sent), () => {
          // give the server the bytes written so far, then drop the connection like a network loss
          setTimeout(() => req.destroy(), 20)
        })
        body.destroy()
        return
      }
      sent += c.length
      if (!req.write(c)) {
        body.pause()
        req.once('drain', () => body.resume())
      }
    })
    body.on('end', () => req.end())
  })
}

export async function tusCreate(endpoint: string, length: number, meta: Record<string, string>, headers: Record<string, string> = {}): Promise<string> {
  const a = await tusRequest(endpoint, 'POST', { 'Upload-Length': String(length), 'Upload-Metadata': metadataHeader(meta), ...headers })
  if (a === 'cut' || a.status !== 201) throw new Error(`create failed: ${a === 'cut' ? 'cut' : `${a.status} ${a.body}`}`)
  return new URL(a.headers.location!, endpoint).toString()
}

export async function tusOffset(location: string, headers: Record<string, string> = {}): Promise<number> {
  const a = await tusRequest(location, 'HEAD', headers)
  if (a === 'cut' || a.status !== 200) throw new Error(`HEAD failed: ${a === 'cut' ? 'cut' : a.status}`)
  return Number(a.headers['upload-offset'])
}

/** PATCHes the file from `offset` to its end (or `end`); `cutAfter` bytes into the body the connection is dropped. */
export function tusPatchFile(location: string, file: string, offset: number, opts: { end?: number; cutAfter?: number; headers?: Record<string, string> } = {}) {
  const size = fs.statSync(file).size
  const end = opts.end ?? size
  const stream = fs.createReadStream(file, { start: offset, end: end - 1, highWaterMark: 256 * 1024 })
  return tusRequest(
    location,
    'PATCH',
    { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset), 'Content-Length': String(end - offset), ...opts.headers },
    stream,
    opts.cutAfter,
  )
}
