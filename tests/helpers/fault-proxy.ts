// An HTTP proxy between Stowage and the test stack's object store (s3rver) that injects faults by rule:
// reset the connection (before any answer, or after part of the response body), answer 500/503 with an
// S3 XML error body, delay, or make the bucket disappear (404 NoSuchBucket for everything). Rules are
// added and removed while the test runs; every request the proxy saw is recorded with what it did to it.
// The Host header is forwarded unchanged, so the SDK's request signatures stay valid at the store.
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'

export type FaultAction =
  /** destroy the connection before any answer (the client sees a reset / socket hang up) */
  | { kind: 'reset' }
  /** forward, then destroy the connection after this many response body bytes */
  | { kind: 'reset-mid-body'; afterBytes: number }
  /** answer this status with an S3 error document (500 InternalError, 503 ServiceUnavailable/SlowDown) */
  | { kind: 'status'; status: 500 | 503; code?: string }
  /** wait, then forward (or, with `hang`, never answer) */
  | { kind: 'delay'; ms: number }

export type FaultRule = {
  /** e.g. 'PUT'; any method when absent */
  method?: string
  /** tested against the object key (path after the bucket, query string included) */
  key?: RegExp
  /** how many matching requests it applies to (Infinity when absent) */
  count?: number
  /** chance (0..1) that a matching request is hit (1 when absent) */
  probability?: number
  action: FaultAction
}

export type SeenRequest = { method: string; path: string; key: string; fault: FaultAction['kind'] | 'bucket-gone' | null }

export type FaultProxy = {
  endpoint: string
  /** adds a rule (first matching rule with hits left wins); returns a function that removes it */
  add(rule: FaultRule): () => void
  /** removes every rule and brings the bucket back */
  clear(): void
  /** every request is answered 404 NoSuchBucket while true */
  bucketGone: boolean
  seen: SeenRequest[]
  /** resolves once no request is in the proxy (a delayed write has reached the store or failed) */
  settled(ms?: number): Promise<void>
  /** how many requests a fault kind was applied to */
  hits(kind: SeenRequest['fault']): number
  close(): Promise<void>
}

type LiveRule = FaultRule & { left: number }

export async function faultProxy(target: string, opts: { bucket?: string } = {}): Promise<FaultProxy> {
  const upstream = new URL(target)
  const bucket = opts.bucket ?? 'layers'
  const rules: LiveRule[] = []
  const seen: SeenRequest[] = []
  const sockets = new Set<net.Socket>()
  let bucketGone = false

  const pick = (method: string, key: string): LiveRule | null => {
    for (const r of rules) {
      if (r.left <= 0) continue
      if (r.method && r.method !== method) continue
      if (r.key && !r.key.test(key)) continue
      if (r.probability !== undefined && Math.random() >= r.probability) continue
      r.left--
      return r
    }
    return null
  }

  let inFlight = 0
  let onSettled: (() => void)[] = []
  const server = http.createServer(async (req, res) => {
    inFlight++
    res.on('close', () => {
      if (--inFlight === 0) for (const f of onSettled.splice(0)) f()
    })
    const path = req.url ?? '/'
    const [pathname] = path.split('?')
    const key = decodeURIComponent(pathname.replace(/^\/[^/]*\/?/, '')) + (path.includes('?') ? '?' + path.split('?')[1] : '')
    const method = req.method ?? 'GET'
    if (bucketGone) {
      seen.push({ method, path, key, fault: 'bucket-gone' })
      return answerError(req, res, 404, 'NoSuchBucket', 'The specified bucket does not exist', bucket)
    }
    const rule = pick(method, key)
    seen.push({ method, path, key, fault: rule?.action.kind ?? null })
    const action = rule?.action
    if (action?.kind === 'reset') return void req.socket.destroy()
    if (action?.kind === 'status') {
      const code = action.code ?? (action.status === 503 ? 'ServiceUnavailable' : 'InternalError')
      return answerError(req, res, action.status, code, 'injected fault', bucket)
    }
    if (action?.kind === 'delay') {
      await new Promise((r) => setTimeout(r, action.ms))
      // a client that gave up meanwhile is not noticed (its socket is not read while the request waits),
      // exactly as a slow store goes on with a write the client abandoned: it may land later
      if (req.socket.destroyed) return
    }
    forward(req, res, action?.kind === 'reset-mid-body' ? action.afterBytes : null)
  })

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, resetAfter: number | null) => {
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        if (resetAfter === null) return void up.pipe(res)
        let sent = 0
        up.on('data', (chunk: Buffer) => {
          if (sent >= resetAfter) return
          const room = resetAfter - sent
          res.write(chunk.subarray(0, room))
          sent += Math.min(room, chunk.length)
          if (sent >= resetAfter) {
            up.destroy()
            // let the bytes leave, then cut the connection without an orderly end
            setImmediate(() => req.socket.destroy())
          }
        })
        up.on('end', () => res.end())
      },
    )
    out.on('error', () => req.socket.destroy())
    req.pipe(out)
  }

  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port

  return {
    endpoint: `http://127.0.0.1:${port}`,
    add(rule) {
      const live: LiveRule = { ...rule, left: rule.count ?? Infinity }
      rules.push(live)
      return () => {
        const i = rules.indexOf(live)
        if (i >= 0) rules.splice(i, 1)
      }
    },
    clear() {
      rules.length = 0
      bucketGone = false
    },
    get bucketGone() {
      return bucketGone
    },
    set bucketGone(v: boolean) {
      bucketGone = v
    },
    seen,
    settled: (ms = 10_000) =>
      inFlight === 0
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`the fault proxy still has ${inFlight} requests after ${ms} ms`)), ms)
            onSettled.push(() => (clearTimeout(timer), resolve()))
          }),
    hits: (kind) => seen.filter((s) => s.fault === kind).length,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

/** An S3 error answer; the request body is read first so the client is not cut off mid-send. */
function answerError(req: http.IncomingMessage, res: http.ServerResponse, status: number, code: string, message: string, bucket: string) {
  const body =
    req.method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><BucketName>${bucket}</BucketName><RequestId>fault-proxy</RequestId></Error>`
  req.resume()
  const send = () => {
    if (res.headersSent || res.destroyed) return
    res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), 'x-amz-request-id': 'fault-proxy' })
    res.end(body)
  }
  if (req.readableEnded) send()
  else {
    req.on('end', send)
    req.on('error', () => req.socket.destroy())
  }
}
