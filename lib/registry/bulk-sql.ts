// Many rows in few statements, without holding the event loop. Prisma's createMany costs 1-3 ms of
// CPU per row here (its query compiler works on every value) against ~0.15 ms for a plain multi-row
// INSERT, and with SQLite every statement runs synchronously: a commit of 10,000 tag rows froze
// the process for seconds. So bulk inserts are raw SQL with bound parameters, in bounded batches,
// and the loop yields between batches so other requests are answered in between.
import type { Services } from '../services'

type Tx = Services['db']

/** Rows per statement for reads (`IN` lists): well under SQLite's and PostgreSQL's parameter limits. */
export const BATCH = 250
/** Bound parameters per INSERT statement. */
const MAX_PARAMS = 2000

export function chunks<T>(items: T[], size = BATCH): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Lets timers and I/O callbacks run: awaiting SQLite queries alone only runs microtasks. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

export const isPostgres = (tx: Tx) => (tx as unknown as { _activeProvider?: string })._activeProvider === 'postgresql'

export type SqlValue = string | number | bigint | boolean | Date | null

/**
 * INSERT INTO "table" (columns) VALUES (...), (...): table and column names are this module's
 * callers' constants (never input); every value is a bound parameter.
 */
export async function insertRows(tx: Tx, table: string, columns: string[], rows: SqlValue[][]): Promise<void> {
  if (!rows.length) return
  const pg = isPostgres(tx)
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length))
  const head = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES `
  for (const part of chunks(rows, perStatement)) {
    let n = 0
    const values = part.map((row) => {
      if (row.length !== columns.length) throw new Error(`insertRows(${table}): a row has ${row.length} values for ${columns.length} columns`)
      return '(' + row.map(() => (pg ? `$${++n}` : '?')).join(', ') + ')'
    })
    await tx.$executeRawUnsafe(head + values.join(', '), ...part.flat())
    await yieldToEventLoop()
  }
}
