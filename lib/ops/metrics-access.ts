// Who may read /metrics. Metrics reveal traffic, repository activity and queue state, so they are not
// public, yet Prometheus must reach them without a user account:
// - STOWAGE_METRICS_TOKEN set: `Authorization: Bearer <token>` is required, from any address (what a
//   Prometheus on another host uses: `authorization: { credentials_file: … }`);
// - not set: only direct connections from this machine (loopback peer, no forwarding header, and the
//   peer is not a trusted proxy, whose loopback requests carry other clients' traffic).
import type { IncomingMessage } from 'node:http'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Services } from '../services'
import { fromTrustedProxy } from '../http/client-address'

export type MetricsAccess = { allowed: true } | { allowed: false; status: 401 | 403; message: string }

export function metricsAccess(services: Services, req: IncomingMessage): MetricsAccess {
  const token = services.ops?.metricsToken
  if (token) {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1]
    if (given && sameSecret(given, token)) return { allowed: true }
    return { allowed: false, status: 401, message: 'send Authorization: Bearer <STOWAGE_METRICS_TOKEN>' }
  }
  if (isDirectLoopback(services, req)) return { allowed: true }
  return { allowed: false, status: 403, message: 'metrics are served to this machine only; set STOWAGE_METRICS_TOKEN to scrape from elsewhere' }
}

function isDirectLoopback(services: Services, req: IncomingMessage) {
  const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
  const loopback = peer === '::1' || /^127\./.test(peer)
  const forwarded = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined || req.headers['x-real-ip'] !== undefined
  return loopback && !forwarded && !fromTrustedProxy(services, req)
}

// compared as digests: equal lengths for timingSafeEqual, and no early exit that times the token
const sameSecret = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
