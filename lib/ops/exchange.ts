// The front door's accounting of one HTTP exchange: gives it a request id (X-Request-Id, echoed in the
// answer), counts its body bytes, and when it is over feeds the metrics and writes one JSON log line.
// The line carries no header values, cookies or query strings (they may hold credentials), only the
// path, the route pattern and the user name the request authenticated as.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Services } from '../services'
import type { Logger } from './logger'
import { requestIdOf } from './request-id'
import { countBodyBytes } from './body-bytes'
import { fallbackRoute, routeOf } from './route-label'
import { methodLabel, type ImportOutcome, type StowageMetrics } from './metrics'
import { noteOf, heldWork } from '../http/request-log'
import { resolvedPrincipal } from '../auth/authenticate'
import { clientAddress } from '../http/client-address'

/** Requests whose body is blob or archive bytes being uploaded, by route: the `via` of stowage_upload_bytes_total. */
const UPLOAD_ROUTES: Record<string, { via: 'console' | 'registry'; methods: string[] }> = {
  '/api/uploads': { via: 'console', methods: ['POST'] },
  '/v2/*/blobs/uploads/': { via: 'registry', methods: ['POST'] },
  '/v2/*/blobs/uploads/*': { via: 'registry', methods: ['PATCH', 'PUT'] },
}
/** Probes called every few seconds by load balancers: their successful lines are debug-level. */
const PROBES = new Set(['/healthz', '/readyz'])

export type ExchangeRecord = {
  reqId: string
  method: string
  route: string
  path: string
  status: number | null
  bytesIn: number
  bytesOut: number
  durationMs: number
  client: string
  user?: string
  code?: string
  incomplete?: true
}

export function beginExchange(services: Services, metrics: StowageMetrics, req: IncomingMessage, res: ServerResponse, logger: Logger | null) {
  const started = process.hrtime.bigint()
  const reqId = requestIdOf(req)
  res.setHeader('X-Request-Id', reqId)
  const bodyBytes = countBodyBytes(req)
  const socket = req.socket
  const writtenBefore = socket.bytesWritten
  const pathname = (req.url ?? '/').split('?')[0]
  // read now: a closed socket no longer knows its peer
  const client = clientAddress(services, req)
  res.once('close', async () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const bytesOut = socket.bytesWritten - writtenBefore
    const complete = res.writableFinished
    await heldWork(res)
    const route = routeOf(req) ?? fallbackRoute(pathname)
    const status = res.headersSent ? res.statusCode : null
    const method = methodLabel(req.method)
    const bytesIn = bodyBytes()
    observe(metrics, { route, method, status, seconds, bytesIn, bytesOut, complete, res })
    if (!logger) return
    const user = await userOf(req)
    const code = noteOf(res)
    const record: ExchangeRecord = {
      reqId,
      method,
      route,
      // the query may carry names or tokens: never logged
      path: pathname.slice(0, 300),
      status,
      bytesIn,
      bytesOut,
      durationMs: Math.round(seconds * 1000),
      client,
      ...(user ? { user } : {}),
      ...(code ? { code } : {}),
      // e.g. a client that stopped sending once it had read an early rejection, or one that vanished
      ...(complete ? {} : { incomplete: true as const }),
    }
    if (PROBES.has(route) && status === 200) logger.debug(record, 'request')
    else if (status === null || status >= 500) logger.warn(record, 'request')
    else logger.info(record, 'request')
  })
}

type Ended = { route: string; method: string; status: number | null; seconds: number; bytesIn: number; bytesOut: number; complete: boolean; res: ServerResponse }

function observe(metrics: StowageMetrics, e: Ended) {
  const status = e.status === null ? 'none' : String(e.status)
  metrics.requests.inc({ route: e.route, method: e.method, status })
  metrics.requestDuration.observe({ route: e.route, method: e.method }, e.seconds)
  const upload = UPLOAD_ROUTES[e.route]
  if (upload?.methods.includes(e.method) && e.bytesIn > 0) metrics.uploadedBytes.inc({ via: upload.via }, e.bytesIn)
  if (e.route === '/v2/*/blobs/*' && e.method === 'GET' && (e.status === 200 || e.status === 206)) metrics.pulledBytes.inc(blobBytesSent(e))
  if (e.route === '/api/uploads' && e.method === 'POST') metrics.importDuration.observe({ outcome: importOutcome(e) }, e.seconds)
}

/** The body of a finished download is its Content-Length; a cut one, what went out (headers included). */
function blobBytesSent(e: Ended): number {
  const length = Number(e.res.getHeader('content-length'))
  return e.complete && Number.isFinite(length) ? length : e.bytesOut
}

function importOutcome(e: Ended): ImportOutcome {
  if (e.status === 201) return 'imported'
  if (e.status === 200) return 'dry_run'
  if (e.status !== null && e.status < 500) return 'rejected'
  return e.complete ? 'failed' : 'aborted'
}

async function userOf(req: IncomingMessage): Promise<string | undefined> {
  const p = await resolvedPrincipal(req)?.catch(() => null)
  return p?.kind === 'user' ? p.name : undefined
}
