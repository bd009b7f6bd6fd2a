// The shape of every deletion garbage collection makes: one small transaction that locks the rows, looks
// again (the candidate query's answer may be stale: a writer may have tagged, linked or referenced it
// meanwhile), and deletes only if it is still dead.
//   PostgreSQL (READ COMMITTED): SELECT … FOR UPDATE, then the re-check in NEW statements, which see
//   everything committed before the lock was granted.
//   SQLite: the adapter runs one transaction at a time, so check and delete inside one are atomic.
// A foreign-key violation means a writer referenced the row after all: not an error, the row stays.
import type { Services } from '../services'
import { isPostgres } from '../registry/bulk-sql'

export type Tx = Services['db']

/** The database refused the delete because a row references it (Prisma P2003), or a conflict aborted it (P2034). */
export function isReferencedMeanwhile(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code
  return code === 'P2003' || code === 'P2034'
}

/** Runs `work` in its own short transaction; 'skipped' when it lost to a concurrent writer. */
export async function deleteInTransaction(db: Services['db'], work: (tx: Tx) => Promise<boolean>): Promise<'deleted' | 'skipped'> {
  try {
    const deleted = await db.$transaction((tx) => work(tx as Tx), { timeout: 30_000, maxWait: 30_000 })
    return deleted ? 'deleted' : 'skipped'
  } catch (e) {
    if (isReferencedMeanwhile(e)) return 'skipped'
    throw e
  }
}

/** FOR UPDATE on rows of `table` matching `column = value` (PostgreSQL; a no-op on SQLite). Table and column are constants. */
export async function lockRow(tx: Tx, table: 'Manifest' | 'Blob' | 'Repository', column: 'id' | 'digest', value: number | string): Promise<void> {
  if (!isPostgres(tx)) return
  await tx.$queryRawUnsafe(`SELECT 1 FROM "${table}" WHERE "${column}" = $1 FOR UPDATE`, value)
}

/** FOR UPDATE on several rows, in key order (two lockers never wait on each other in a cycle). PostgreSQL only. */
export async function lockRows(tx: Tx, table: 'Blob', column: 'digest', values: string[]): Promise<void> {
  if (!isPostgres(tx) || !values.length) return
  const sorted = [...values].sort()
  const params = sorted.map((_, i) => `$${i + 1}`).join(', ')
  await tx.$queryRawUnsafe(`SELECT 1 FROM "${table}" WHERE "${column}" IN (${params}) ORDER BY "${column}" FOR UPDATE`, ...sorted)
}
