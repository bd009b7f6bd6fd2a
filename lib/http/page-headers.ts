// Security headers. Console pages get a Content-Security-Policy with a fresh nonce per request: Next.js
// (App Router) reads the nonce from the REQUEST's `content-security-policy` header when it renders
// (next/dist/server/app-render/get-script-nonce-from-header.js, called from parseRequestHeaders) and puts
// it on every script it emits, so no script needs 'unsafe-inline'. The response carries the same policy.
// /api/ and /v2/ answers are data, never documents: they only need nosniff and frame-ancestors.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** The page policy for one nonce. `dev`: Next's development server evaluates code (React Refresh). */
export function pagePolicy(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    // only Next's own scripts, each carrying the nonce; chunks they load come from 'self'
    `script-src 'self' 'nonce-${nonce}'${dev ? " 'unsafe-eval'" : ''}`,
    // 'unsafe-inline' for styles: React renders `style` attributes (progress and layer-share bars) into the
    // server HTML, and style attributes cannot carry a nonce. Styles cannot run code; scripts stay strict.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    // the console only talks to its own API (fetch / XMLHttpRequest uploads); dev adds the HMR socket
    `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    // never framed: its buttons (Delete) cannot be clickjacked
    "frame-ancestors 'none'",
  ].join('; ')
}

const COMMON: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  // older browsers that ignore frame-ancestors
  'X-Frame-Options': 'DENY',
}

/** Before Next renders a page: the nonce goes into the request (for Next) and the policy onto the response. */
export function applyPageHeaders(req: IncomingMessage, res: ServerResponse, opts: { dev?: boolean } = {}) {
  const nonce = randomBytes(18).toString('base64')
  const policy = pagePolicy(nonce, opts.dev)
  // whatever the client sent under these names must not choose the nonce
  delete req.headers['content-security-policy-report-only']
  delete req.headers['x-nonce']
  req.headers['content-security-policy'] = policy
  req.headers['x-nonce'] = nonce
  res.setHeader('Content-Security-Policy', policy)
  for (const [name, value] of Object.entries(COMMON)) res.setHeader(name, value)
}

/** /api/ and /v2/: data that must not be sniffed into a document nor framed. */
export function applyDataHeaders(res: ServerResponse) {
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'")
  res.setHeader('X-Frame-Options', 'DENY')
  res.setHeader('Referrer-Policy', 'same-origin')
}
