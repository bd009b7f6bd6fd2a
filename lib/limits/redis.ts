// The one Redis connection of a Stowage process (REDIS_URL), shared by the push rate limit and the
// sign-in throttle so that several instances count against the same budgets.
//
// Redis is a helper, not a dependency of every request: commands are never queued while the link is
// down (enableOfflineQueue: false) and time out quickly, so a Redis outage makes the limiters fall
// back to their in-process insurance (rate-limit.ts) instead of holding pushes. Only the first
// connection is required: a wrong REDIS_URL is a start error, not a silently unlimited server.
import { Redis } from 'ioredis'
import { ConfigError } from '../config'

export type { Redis }

/** How long one limiter command may take before the in-process fallback answers instead. */
export const REDIS_COMMAND_TIMEOUT_MS = 500

/** A ConfigError, so the start fails with this one line instead of a stack trace (server.ts). */
export class RedisStartError extends ConfigError {
  constructor(url: string, cause: string) {
    super([`REDIS_URL=${redactUrl(url)} is not reachable (${cause}); start Redis or unset REDIS_URL to count limits in process`])
    this.name = 'RedisStartError'
  }
}

/** Opens the client and waits for the first connection; throws RedisStartError when it cannot. */
export async function openRedis(url: string, log: (m: string) => void = (m) => console.log(m), opts: { connectTimeoutMs?: number } = {}): Promise<Redis> {
  let cause: Error | null = null
  const client = newClient(url, opts)
  const remember = (e: Error) => (cause ??= e) // ioredis rejects connect() with "Connection is closed."; the socket error says why
  client.on('error', remember)
  try {
    await client.connect()
  } catch (e) {
    client.disconnect() // stops the reconnect loop
    throw new RedisStartError(url, (cause ?? (e as Error)).message)
  }
  client.off('error', remember)
  watchLink(client, log)
  return client
}

/** The client without connecting (tests point it at a proxy they stop). */
export function createRedisClient(url: string, log: (m: string) => void = (m) => console.log(m), opts: { connectTimeoutMs?: number } = {}): Redis {
  const client = newClient(url, opts)
  watchLink(client, log)
  return client
}

function newClient(url: string, opts: { connectTimeoutMs?: number }): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: opts.connectTimeoutMs ?? 3000,
    maxRetriesPerRequest: 0,
    // keep trying in the background, at most every 2 s
    retryStrategy: (times) => Math.min(times * 200, 2000),
  })
}

function watchLink(client: Redis, log: (m: string) => void) {
  // one line when the link goes down and one when it is back, not one per reconnect attempt
  let down = false
  const lost = (why: string) => {
    if (down) return
    down = true
    log(`redis: ${why}; rate limits and sign-in throttling count in this process until it is back`)
  }
  client.on('error', (e: Error) => lost(e.message))
  // a clean close emits no error; after disconnect() the status is "end" (nothing lost: shutting down)
  client.on('close', () => setImmediate(() => client.status !== 'end' && lost('connection closed')))
  client.on('ready', () => {
    if (!down) return
    down = false
    log('redis: connected again; limits are shared across instances')
  })
}

function redactUrl(url: string) {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable)'
  }
}
