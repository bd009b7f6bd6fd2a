// CSRF protection for requests that a browser authenticates by itself (the session cookie, or Basic
// credentials remembered from its prompt): a
// state-changing request must come from Stowage's own pages. Browsers send Origin with every
// cross-origin request and every POST/PUT/PATCH/DELETE (also `mode: 'no-cors'` fetches and form
// posts), and Sec-Fetch-Site on top; either one naming another origin is refused. SameSite=Strict
// alone is not enough: another port of the same host is the same *site*.
import type { IncomingMessage } from 'node:http'
import type { Services } from '../services'
import { requestOrigin } from './client-address'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Null when the request may change state on the strength of its cookie, else why not. */
export function crossSiteProblem(services: Services, req: IncomingMessage): string | null {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return null
  const origin = req.headers.origin
  const site = req.headers['sec-fetch-site']
  if (origin !== undefined) {
    if (origin !== requestOrigin(services, req).origin) return `a request from ${origin.slice(0, 100)} may not change anything here (cross-origin request refused)`
    return null
  }
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'a cross-site request may not change anything here'
  // Neither header: not a browser (curl with a copied cookie); browsers always send Origin on these methods.
  return null
}
