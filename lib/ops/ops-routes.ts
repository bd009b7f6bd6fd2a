// /healthz, /readyz and /metrics: answered before the console and the APIs, without sessions or the
// database (except the readiness query and the scrape-time reads), and never slower than their timeouts.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Services } from '../services'
import { checkReadiness } from './readiness'
import { metricsAccess } from './metrics-access'
import { METRICS_CONTENT_TYPE } from './metrics'
import { createOps } from './ops'
import { nameRoute } from './route-label'

export const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

export const isOpsPath = (pathname: string) => OPS_PATHS.has(pathname)

export async function handleOps(services: Services, req: IncomingMessage, res: ServerResponse, pathname: string) {
  nameRoute(req, pathname)
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, 405, 'application/json', JSON.stringify({ error: 'use GET' }), { Allow: 'GET, HEAD' })
  try {
    if (pathname === '/healthz') return send(req, res, 200, 'application/json', JSON.stringify({ status: 'ok' }))
    if (pathname === '/readyz') {
      const r = await checkReadiness(services)
      return send(req, res, r.status === 'ready' ? 200 : 503, 'application/json', JSON.stringify(r))
    }
    const access = metricsAccess(services, req)
    if (!access.allowed) {
      const challenge: Record<string, string> = access.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="metrics"' } : {}
      return send(req, res, access.status, 'application/json', JSON.stringify({ error: access.message }), challenge)
    }
    const ops = (services.ops ??= createOps())
    return send(req, res, 200, METRICS_CONTENT_TYPE, await ops.metrics.scrape(services))
  } catch (e) {
    console.error('operations endpoint failed', pathname, e)
    if (!res.headersSent) send(req, res, 500, 'application/json', JSON.stringify({ error: 'internal error' }))
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) {
  const bytes = Buffer.from(body)
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(bytes.length), 'Cache-Control': 'no-store', ...headers })
  res.end(req.method === 'HEAD' ? undefined : bytes)
}
