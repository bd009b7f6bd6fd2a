// The read load: N keep-alive clients, each looping over manifest, config and layer GETs of one image for a
// fixed time, recording every request's latency. Every response is checked (status 200 and the expected
// byte count); a wrong answer is counted and fails the benchmark.
import crypto from 'node:crypto'
import http from 'node:http'

export type ReadRequest = { kind: 'manifest' | 'config' | 'layer'; path: string; accept?: string; bytes: number; digest?: string }

export type LoadResult = {
  seconds: number
  requests: number
  errors: number
  firstError: string | null
  bytes: number
  /** latencies in ms, per kind and all together (sorted) */
  latency: Record<ReadRequest['kind'] | 'all', Float64Array>
}

export const MANIFEST_ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'

function get(agent: http.Agent, base: URL, r: ReadRequest, authorization: string | undefined, hash?: crypto.Hash): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {}
    if (authorization) headers.Authorization = authorization
    if (r.accept) headers.Accept = r.accept
    const req = http.get({ agent, host: base.hostname, port: base.port, path: r.path, headers }, (res) => {
      let bytes = 0
      res.on('data', (c: Buffer) => {
        bytes += c.length
        hash?.update(c)
      })
      res.once('end', () => resolve({ status: res.statusCode ?? 0, bytes }))
      res.once('error', reject)
    })
    req.once('error', reject)
  })
}

/** One untimed GET per request with sha256 checked: both registries must serve the same bytes before they are timed. */
export async function verifyRequests(url: string, requests: ReadRequest[], authorization?: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (const r of requests) {
      const hash = crypto.createHash('sha256')
      const res = await get(agent, new URL(url), r, authorization, hash)
      const digest = `sha256:${hash.digest('hex')}`
      if (res.status !== 200 || res.bytes !== r.bytes || (r.digest && digest !== r.digest)) {
        throw new Error(`GET ${url}${r.path} answered ${res.status} with ${res.bytes} bytes ${digest}; expected 200, ${r.bytes} bytes${r.digest ? ` ${r.digest}` : ''}`)
      }
    }
  } finally {
    agent.destroy()
  }
}

const sorted = (xs: number[]) => Float64Array.from(xs).sort()

export function percentile(xs: Float64Array, p: number): number {
  if (xs.length === 0) return NaN
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))]
}

/** `clients` loops on one keep-alive agent (a socket each) for `seconds`; client i starts at request i mod n. */
export async function runLoad(url: string, requests: ReadRequest[], opts: { clients: number; seconds: number; authorization?: string }): Promise<LoadResult> {
  const base = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.clients, maxFreeSockets: opts.clients })
  const lat: Record<string, number[]> = { manifest: [], config: [], layer: [] }
  let errors = 0
  let firstError: string | null = null
  let bytes = 0
  const started = performance.now()
  const end = started + opts.seconds * 1000
  const client = async (i: number) => {
    for (let n = i; performance.now() < end; n++) {
      const r = requests[n % requests.length]
      const t0 = performance.now()
      try {
        const res = await get(agent, base, r, opts.authorization)
        const ms = performance.now() - t0
        if (res.status !== 200 || res.bytes !== r.bytes) {
          errors++
          firstError ??= `${r.path}: ${res.status}, ${res.bytes} bytes (expected ${r.bytes})`
        } else {
          lat[r.kind].push(ms)
          bytes += res.bytes
        }
      } catch (e) {
        errors++
        firstError ??= `${r.path}: ${(e as Error).message}`
      }
    }
  }
  await Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i)))
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  const all = [...lat.manifest, ...lat.config, ...lat.layer]
  return {
    seconds,
    requests: all.length,
    errors,
    firstError,
    bytes,
    latency: { manifest: sorted(lat.manifest), config: sorted(lat.config), layer: sorted(lat.layer), all: sorted(all) },
  }
}
