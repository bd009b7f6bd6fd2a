// A database that cannot be reached or dropped the connection (a restart, a network cut, a full pool) is
// not the client's fault and says nothing about the data: callers answer 503 "try again" with this
// message instead of a 500 that shows Prisma's text (which names the server's address).

export const DATABASE_UNAVAILABLE_MESSAGE = 'the database is not reachable or dropped the connection; try again in a moment'

export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE'
  constructor(options?: { cause?: unknown }) {
    super(DATABASE_UNAVAILABLE_MESSAGE, options)
    this.name = 'DatabaseUnavailableError'
  }
}

// Prisma: P1001 can't reach, P1002 timed out, P1008 operation timed out, P1017 server closed the
// connection, P2024 no connection from the pool in time
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024'])
// driver adapter error kinds (@prisma/driver-adapter-utils) for the same situations
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections'])
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03', '08006', '08003', '08001'])
const MESSAGES = /Server has closed the connection|Connection terminated|connection.*(closed|terminated|ended)|Can't reach database server|terminating connection due to administrator command|timeout exceeded when trying to connect/i

/** Whether an error from the database client means the database could not be reached or went away. */
export function isDatabaseUnavailable(e: unknown): boolean {
  if (e instanceof DatabaseUnavailableError) return true
  for (let err = e as any, depth = 0; err && depth < 5; depth++) {
    if (typeof err.code === 'string' && (PRISMA_CODES.has(err.code) || NODE_CODES.has(err.code))) return true
    const kind = err.cause?.kind ?? err.kind
    if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return true
    if (MESSAGES.test(String(err.message ?? ''))) return true
    err = err.cause ?? err.meta?.driverAdapterError
  }
  return false
}
