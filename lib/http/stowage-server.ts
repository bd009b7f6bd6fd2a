// The HTTP front door: /v2/ (registry API) and /api/ (console API) are plain Node handlers (they need
// exact Content-Length, streaming bodies of any size and no 300 s request timeout); everything else
// is the Next.js console.
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Services } from '../services'
import { handleConsoleApi, isConsoleApi } from './console-api'
import { handleRegistryApi, isRegistryApi } from '../oci/registry-api'
import { watchBodyIdleness } from './idle-watchdog'
import { createLogger, type Logger } from '../ops/logger'
import { beginExchange } from '../ops/exchange'
import { isOpsPath, handleOps } from '../ops/ops-routes'
import { createOps } from '../ops/ops'
import { httpSettings } from './http-settings'
import { describeListening } from './listen-address'
import { applyDataHeaders, applyPageHeaders } from './page-headers'

export type PageHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void

export type RunningServer = { server: http.Server | https.Server; port: number; url: string; address: AddressInfo; scheme: 'http' | 'https'; close(): Promise<void> }

/** PEM certificate (chain) and private key: the server speaks HTTPS only (STOWAGE_TLS_CERT / STOWAGE_TLS_KEY). */
export type TlsFiles = { cert: string | Buffer; key: string | Buffer }

/** Where request log lines go: a logger, or a function given each JSON line (tests). */
export type LogLine = (line: string) => void

export function createRequestHandler(services: Services, pages?: PageHandler, log?: Logger | LogLine, opts: { dev?: boolean } = {}) {
  const { uploadIdleMs } = httpSettings(services.http)
  const { metrics } = (services.ops ??= createOps())
  const logger = typeof log === 'function' ? createLogger({ write: log }) : (log ?? null)
  return (req: IncomingMessage, res: ServerResponse) => {
    // request id, body byte count, metrics and the JSON log line when the exchange ends (lib/ops/exchange.ts)
    beginExchange(services, metrics, req, res, logger)
    watchBodyIdleness(req, uploadIdleMs)
    const pathname = (req.url ?? '/').split('?')[0]
    if (isOpsPath(pathname)) return void handleOps(services, req, res, pathname)
    if (isRegistryApi(pathname) || isConsoleApi(pathname)) {
      applyDataHeaders(res)
      return void (isRegistryApi(pathname) ? handleRegistryApi(services, req, res) : handleConsoleApi(services, req, res))
    }
    if (pages) {
      // CSP with a per-request nonce (page-headers.ts): set before Next renders, which reads it from the request
      applyPageHeaders(req, res, { dev: opts.dev })
      return void pages(req, res)
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
  }
}

/**
 * Bytes a connection may queue before a write reports backpressure (and reads before they pause).
 * Node's default (16 KiB) is below one socket read (64 KiB), so every relayed chunk of a blob pull
 * paused and resumed the object-store stream (tests/integration/oci-blob-relay.test.ts). A slow
 * client thus holds at most ~256 KiB + one chunk of the server's memory.
 */
const SOCKET_HIGH_WATER_MARK = 256 * 1024

export async function listen(services: Services, opts: { port: number; host: string; pages?: PageHandler; log?: Logger | LogLine; tls?: TlsFiles; dev?: boolean }): Promise<RunningServer> {
  const handler = createRequestHandler(services, opts.pages, opts.log, { dev: opts.dev })
  const server = opts.tls ? createTlsServer(opts.tls, handler) : http.createServer({ highWaterMark: SOCKET_HIGH_WATER_MARK }, handler)
  // Multi-GB uploads over slow links take longer than Node's default 300 s request timeout; a body that
  // stops arriving is cut by the idle watchdog (STOWAGE_UPLOAD_IDLE_SECONDS) instead.
  server.requestTimeout = 0
  // Headers sent byte by byte (slowloris) are cut after this, checked every connectionsCheckingInterval.
  server.headersTimeout = 60_000
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, resolve)
  })
  const address = server.address() as AddressInfo
  const scheme = opts.tls ? 'https' : 'http'
  return {
    server,
    port: address.port,
    url: describeListening(address, scheme).url,
    address,
    scheme,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function createTlsServer(tls: TlsFiles, handler: ReturnType<typeof createRequestHandler>) {
  try {
    return https.createServer({ cert: tls.cert, key: tls.key, highWaterMark: SOCKET_HIGH_WATER_MARK }, handler)
  } catch (e) {
    // a key that does not match the certificate, a password-protected key, not PEM at all
    throw new Error(`the TLS certificate and key cannot be used: ${(e as Error).message}`)
  }
}
