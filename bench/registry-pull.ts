// The two ways the registry benchmark reads a blob: through Stowage's /v2/<name>/blobs/<digest> (as a
// registry client does) and straight from the S3 server with GetObject (the baseline); with a Node
// client in this process (default) or with curl (--client curl). Both count the
// bytes and discard them; with `verify`, they also hash them (kept out of the timed runs: hashing costs
// the client CPU that the two compared paths would share unevenly on a 2-core machine).
import crypto from 'node:crypto'
import http from 'node:http'
import { execFile } from 'node:child_process'
import type { Readable } from 'node:stream'
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'

export type PullResult = { bytes: number; seconds: number; digest?: string }

/** Consumes a body, counting (and optionally hashing) it; resolves with the byte count. */
function drain(body: Readable, hash?: crypto.Hash): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      hash?.update(chunk)
    })
    body.once('end', () => resolve(bytes))
    body.once('error', reject)
    body.once('aborted', () => reject(new Error(`the response was cut after ${bytes} bytes`)))
  })
}

/**
 * GET `url` with a fresh connection (each client its own socket); fails unless 200 and complete. A 307
 * (STOWAGE_BLOB_REDIRECT) is followed once, without the Authorization header, as registry clients do.
 */
export function pullHttp(url: string, opts: { verify?: boolean; authorization?: string; redirected?: boolean } = {}, started = performance.now()): Promise<PullResult> {
  const hash = opts.verify ? crypto.createHash('sha256') : undefined
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: opts.authorization ? { Authorization: opts.authorization } : {} }, (res) => {
      if (res.statusCode === 307 && res.headers.location && !opts.redirected) {
        res.resume()
        return resolve(pullHttp(new URL(res.headers.location, url).toString(), { verify: opts.verify, redirected: true }, started))
      }
      if (res.statusCode !== 200) {
        res.resume()
        return reject(new Error(`GET ${url} answered ${res.statusCode}`))
      }
      const expected = Number(res.headers['content-length'])
      drain(res, hash).then((bytes) => {
        if (bytes !== expected) return reject(new Error(`GET ${url}: ${bytes} bytes, Content-Length ${expected}`))
        resolve({ bytes, seconds: (performance.now() - started) / 1000, digest: hash && `sha256:${hash.digest('hex')}` })
      }, reject)
    })
    req.on('error', reject)
  })
}

/** GetObject of the whole object, as the S3 driver reads it. */
export async function pullS3(client: S3Client, bucket: string, key: string, opts: { verify?: boolean } = {}): Promise<PullResult> {
  const started = performance.now()
  const hash = opts.verify ? crypto.createHash('sha256') : undefined
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  const bytes = await drain(out.Body as Readable, hash)
  if (bytes !== out.ContentLength) throw new Error(`GetObject ${key}: ${bytes} bytes, ContentLength ${out.ContentLength}`)
  return { bytes, seconds: (performance.now() - started) / 1000, digest: hash && `sha256:${hash.digest('hex')}` }
}

/**
 * GET `url` with curl (a native client, like docker's or skopeo's Go client, far cheaper per byte than a
 * Node client); fails unless 200 and complete. curl's CPU is not this process's: it shows up as "other".
 */
export function pullCurl(url: string, expectedBytes: number, authorization?: string): Promise<PullResult> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const auth = authorization ? ['-H', `Authorization: ${authorization}`] : []
    const get = (target: string, headers: string[], redirects: number) =>
      execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{redirect_url}', ...headers, target], (err, stdout) => {
        if (err) return reject(new Error(`curl ${target}: ${err.message}`))
        const [statusText, sizeText, location] = stdout.trim().split(' ')
        const [status, size] = [Number(statusText), Number(sizeText)]
        // a 307 (STOWAGE_BLOB_REDIRECT) is followed once, without the Authorization header (a presigned URL carries its own)
        if (status === 307 && location && redirects === 0) return get(location, [], 1)
        if (status !== 200 || size !== expectedBytes) return reject(new Error(`curl ${target}: status ${status}, ${size} of ${expectedBytes} bytes`))
        resolve({ bytes: size, seconds: (performance.now() - started) / 1000 })
      })
    get(url, auth, 0)
  })
}
