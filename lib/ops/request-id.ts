// The id that ties a request's log line to what the client saw: an incoming X-Request-Id (set by a load
// balancer or the client) when it is sane, else a fresh one. Sane = short and plain, so a client cannot
// forge multi-line or huge log fields through it.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const SANE_ID = /^[A-Za-z0-9._:@+=\/-]{1,128}$/

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id']
  const id = Array.isArray(given) ? given[0] : given
  return id && SANE_ID.test(id) ? id : randomUUID()
}
