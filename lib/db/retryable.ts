// Which database errors mean "a concurrent writer got there first; run the whole transaction again".
// The re-run reads the new state and adapts: it reuses a row another writer created (unique violation),
// or creates anew a row it meant to reuse that garbage collection deleted meanwhile (foreign-key
// violation), or simply goes again after PostgreSQL broke a deadlock / serialization conflict.
import { isUniqueViolation } from './client'

const RAW_CONFLICT = /\b(23505|23503|40P01|40001)\b|UNIQUE constraint failed|FOREIGN KEY constraint failed|deadlock/i

/** True for P2002 (unique), P2003 (foreign key), P2034 (write conflict / deadlock) and their raw-SQL forms. */
export function isRetryableConflict(e: unknown): boolean {
  if (isUniqueViolation(e)) return true
  const code = (e as { code?: string } | null)?.code
  if (code === 'P2003' || code === 'P2034') return true
  // Raw statements (lib/registry/bulk-sql.ts, lib/db/row-locks.ts) report database codes inside P2010.
  const text = String((e as { message?: unknown } | null)?.message ?? '') + JSON.stringify((e as { meta?: unknown } | null)?.meta ?? {})
  return RAW_CONFLICT.test(text)
}
