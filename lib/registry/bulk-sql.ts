// Many rows in few statements, without holding the event loop. Prisma's createMany costs 1-3 ms of
// CPU per row here (its query compiler works on every value), and even a raw multi-row INSERT pays
// ~0.2 ms per row for binding parameters one by one; with SQLite every statement also runs
// synchronously, so a commit of 10,000 tag rows froze the process for seconds. Bulk inserts
// therefore send each batch as ONE JSON parameter that the database itself unpacks
// (json_each / json_array_elements), and the loop yields between batches so other requests are
// answered in between.
import type { Services } from '../services'

type Tx = Services['db']

/** Rows per statement for reads (`IN` lists): well under SQLite's and PostgreSQL's parameter limits. */
export const BATCH = 100
/** Rows per INSERT statement: large enough to amortize a statement, small enough to keep a synchronous SQLite step short. */
const INSERT_BATCH = 100

export function chunks<T>(items: T[], size = BATCH): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Lets timers and I/O callbacks run: awaiting SQLite queries alone only runs microtasks. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

export const isPostgres = (tx: Tx) => (tx as unknown as { _activeProvider?: string })._activeProvider === 'postgresql'

export type ColumnType = 'int' | 'bigint' | 'text' | 'timestamp'
export type SqlValue = string | number | bigint | Date | null

/** How Prisma stores a DateTime in SQLite (text), so raw rows sort and read like Prisma's own. */
const sqliteTimestamp = (d: Date) => d.toISOString().replace('Z', '+00:00')

function jsonValue(v: SqlValue, type: ColumnType, pg: boolean): string | number | null {
  if (v === null) return null
  if (type === 'timestamp') return pg ? (v as Date).toISOString() : sqliteTimestamp(v as Date)
  if (type === 'bigint') return Number(v) // sizes stay far below 2^53
  return v as string | number
}

/**
 * INSERT INTO "table" (columns) SELECT ... FROM <the rows as one JSON array>: table and column
 * names are the callers' constants (never input); every value travels inside the bound JSON parameter.
 */
export async function insertRows(tx: Tx, table: string, columns: [name: string, type: ColumnType][], rows: SqlValue[][]): Promise<void> {
  if (!rows.length) return
  const pg = isPostgres(tx)
  const pgType = { int: 'integer', bigint: 'bigint', text: 'text', timestamp: 'timestamp(3)' }
  const select = pg
    ? `SELECT ${columns.map(([, t], i) => `(r->>${i})::${pgType[t]}`).join(', ')} FROM json_array_elements($1::json) AS r`
    : `SELECT ${columns.map((_, i) => `json_extract(value, '$[${i}]')`).join(', ')} FROM json_each(?)`
  const sql = `INSERT INTO "${table}" (${columns.map(([c]) => `"${c}"`).join(', ')}) ${select}`
  for (const part of chunks(rows, INSERT_BATCH)) {
    const json = JSON.stringify(
      part.map((row) => {
        if (row.length !== columns.length) throw new Error(`insertRows(${table}): a row has ${row.length} values for ${columns.length} columns`)
        return row.map((v, i) => jsonValue(v, columns[i][1], pg))
      }),
    )
    await tx.$executeRawUnsafe(sql, json)
    await yieldToEventLoop()
  }
}
