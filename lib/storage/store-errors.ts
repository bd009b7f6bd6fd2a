// A failure to reach the object store at all (refused, reset, timed out) is not the client's fault and
// not a fault of the data: it is named for what it is, without the store's internal address, so callers
// can answer 503 "try again" instead of a 500 that shows "connect ECONNREFUSED 127.0.0.1:41161".

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
])

export const STORE_UNAVAILABLE = 'STORE_UNAVAILABLE'

export class StoreUnavailableError extends Error {
  readonly code = STORE_UNAVAILABLE
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreUnavailableError'
  }
}

export const isStoreUnavailable = (e: unknown): e is StoreUnavailableError => e instanceof StoreUnavailableError

/** Whether an error from the S3 client means the store could not be reached (no S3 answer at all). */
export function isConnectionFailure(e: unknown): boolean {
  for (let err = e as any, depth = 0; err && depth < 4; err = err.cause, depth++) {
    if (typeof err.code === 'string' && CONNECTION_CODES.has(err.code)) return true
    if (err.name === 'TimeoutError' || /socket hang up/i.test(String(err.message ?? ''))) return true
  }
  return false
}

/**
 * What to tell a caller when the store answered with a failure of its own rather than about the request:
 * a 5xx that the SDK's retries did not get past, or a bucket that no longer exists. Null for answers that
 * are about the request (404 NoSuchKey, 403, 400...), which callers handle themselves.
 */
export function storeFaultMessage(e: unknown, bucket: string): string | null {
  const err = e as any
  if (err?.name === 'NoSuchBucket' || err?.Code === 'NoSuchBucket') {
    return `the object store has no bucket "${bucket}" (it was deleted or is not reachable); try again once it is back`
  }
  const status = err?.$metadata?.httpStatusCode
  if (typeof status === 'number' && status >= 500) {
    const code = typeof err?.name === 'string' && /^[A-Za-z]+$/.test(err.name) && err.name !== 'Error' ? ` ${err.name}` : ''
    return `the object store failed (it answered ${status}${code}); try again in a moment`
  }
  return null
}
