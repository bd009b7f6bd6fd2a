// What every registry API handler receives.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Services } from '../services'

export type Ctx = { services: Services; req: IncomingMessage; res: ServerResponse; url: URL }

/** Content-Length of the request, or null when the body is chunked or absent. */
export function requestLength(ctx: Ctx): number | null {
  const raw = ctx.req.headers['content-length']
  if (raw === undefined || !/^\d+$/.test(raw)) return null
  return Number(raw)
}
