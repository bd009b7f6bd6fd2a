// The two ways the registry benchmark gets an image into Stowage: `skopeo copy` to /v2/ (what
// `docker push` does: gzip each layer, upload blobs, put the manifest) and the console's
// `POST /api/uploads` of the `docker save` archive as a raw body (what `curl --data-binary` does).
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { cpuSeconds } from './proc-stats'
import { BENCH_ADMIN, benchAuthorization } from './stowage-process'

export type SkopeoPush = { seconds: number; cpuSeconds: number; output: string }

/** `skopeo copy docker-archive:FILE docker://HOST/REF` over plain HTTP; its CPU time sampled from /proc. */
export function skopeoPush(file: string, host: string, reference: string): Promise<SkopeoPush> {
  const started = performance.now()
  const creds = `${BENCH_ADMIN.user}:${BENCH_ADMIN.password}`
  const child = spawn('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `docker-archive:${file}`, `docker://${host}/${reference}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  // skopeo's CPU time (compression, hashing, HTTP) is read until it exits: the last sample is within 50 ms of the end
  let cpu = 0
  const sampler = setInterval(() => {
    try {
      cpu = cpuSeconds(child.pid!)
    } catch {
      // exited between samples
    }
  }, 50)
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      clearInterval(sampler)
      reject(e)
    })
    child.once('exit', (code) => {
      clearInterval(sampler)
      const seconds = (performance.now() - started) / 1000
      if (code !== 0) return reject(new Error(`skopeo copy exited with ${code}:\n${output}`))
      resolve({ seconds, cpuSeconds: cpu, output })
    })
  })
}

/** What a push sent: the manifest and the blobs it lists (their sizes are what went over the wire). */
export async function pushedImage(url: string, repository: string, tag: string) {
  const res = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
    headers: { Authorization: benchAuthorization, Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  })
  if (res.status !== 200) throw new Error(`GET manifest ${repository}:${tag} answered ${res.status}: ${await res.text()}`)
  const body = Buffer.from(await res.arrayBuffer())
  const manifest = JSON.parse(body.toString()) as { config: { size: number }; layers: { size: number; mediaType: string; digest: string }[] }
  const layerBytes = manifest.layers.reduce((n, l) => n + l.size, 0)
  return { manifest, manifestBytes: body.length, configBytes: manifest.config.size, layerBytes, totalBytes: body.length + manifest.config.size + layerBytes }
}

export type ArchiveUpload = { status: number; body: any; seconds: number }

/** POSTs the file as the raw body of /api/uploads; timed from the first byte sent to the end of the response. */
export function uploadArchive(url: string, file: string, query = ''): Promise<ArchiveUpload> {
  const bytes = fs.statSync(file).size
  return new Promise((resolve, reject) => {
    let started = performance.now()
    const req = http.request(`${url}/api/uploads${query}`, {
      method: 'POST',
      agent: false,
      headers: { Authorization: benchAuthorization, 'Content-Type': 'application/x-tar', 'Content-Length': bytes, 'X-Filename': path.basename(file) },
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const seconds = (performance.now() - started) / 1000
        const text = Buffer.concat(chunks).toString()
        let body: any = text
        try {
          body = JSON.parse(text)
        } catch {
          // keep the text for the error message
        }
        resolve({ status: res.statusCode ?? 0, body, seconds })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    const source = fs.createReadStream(file, { highWaterMark: 1 << 20 })
    source.once('data', () => (started = performance.now()))
    source.on('error', (e) => req.destroy(e))
    source.pipe(req)
  })
}
