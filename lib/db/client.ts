// Opens a Prisma client for DATABASE_URL. Both generated clients share one model, so callers see one type.
import { PrismaClient as SqliteClient } from './generated/sqlite/client'
import { providerOf } from './provider'

export type Db = InstanceType<typeof SqliteClient>

export async function openDatabase(url: string): Promise<Db> {
  if (providerOf(url) === 'postgresql') {
    const { PrismaClient } = await import('./generated/pg/client')
    const { PrismaPg } = await import('@prisma/adapter-pg')
    return new PrismaClient({ adapter: new PrismaPg(pgPoolConfig(url)) }) as unknown as Db
  }
  const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3')
  const db = new SqliteClient({ adapter: new PrismaBetterSqlite3({ url }) })
  // WAL lets the console read while an import writes; busy_timeout makes concurrent writers wait instead of failing.
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL')
  await db.$queryRawUnsafe('PRAGMA busy_timeout = 10000')
  return db
}

/** A database that is not reachable must not hang requests: pg waits forever for a connection by default. */
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 10_000

/**
 * Pool settings for a PostgreSQL URL: a connection attempt gives up after 10 s unless the URL says
 * otherwise (connect_timeout=SECONDS, libpq's name); TCP keepalive notices a server that vanished
 * without closing the connection. A connection that broke is dropped by the pool (the next request
 * gets a new one), so a restarted database needs no restart of Stowage.
 */
export function pgPoolConfig(url: string) {
  const timeout = Number(new URL(url).searchParams.get('connect_timeout'))
  return { connectionString: url, connectionTimeoutMillis: timeout > 0 ? timeout * 1000 : DEFAULT_PG_CONNECT_TIMEOUT_MS, keepAlive: true }
}

/** True when a Prisma error is a unique-constraint violation (a concurrent writer won the race). */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'P2002'
}
