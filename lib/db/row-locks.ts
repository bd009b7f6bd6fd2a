// Row locks a writer takes on rows it reuses, so garbage collection cannot delete them under it.
// PostgreSQL (READ COMMITTED): FOR KEY SHARE on a Blob row blocks GC's `SELECT … FOR UPDATE` + delete
// until the writer commits (GC then re-checks, sees the new reference and skips), and it does not block
// other writers (KEY SHARE is what foreign-key checks take anyway). SQLite runs one transaction at a
// time, so a plain read suffices there.
import type { Services } from '../services'
import { Prisma } from './generated/sqlite/client'
import { chunks, isPostgres, yieldToEventLoop } from '../registry/bulk-sql'

type Tx = Services['db']

/** The digests among these that have a Blob row, each row locked FOR KEY SHARE until the transaction ends. */
export async function shareBlobs(tx: Tx, digests: string[]): Promise<Set<string>> {
  const found = new Set<string>()
  const pg = isPostgres(tx)
  for (const part of chunks([...new Set(digests)])) {
    const rows = pg
      ? await tx.$queryRaw<{ digest: string }[]>`SELECT "digest" FROM "Blob" WHERE "digest" IN (${Prisma.join(part)}) ORDER BY "digest" FOR KEY SHARE`
      : await tx.blob.findMany({ where: { digest: { in: part } }, select: { digest: true } })
    for (const r of rows) found.add(r.digest)
    await yieldToEventLoop()
  }
  return found
}

/** shareBlobs for one digest: whether its Blob row exists (and is now locked against deletion). */
export async function shareBlob(tx: Tx, digest: string): Promise<boolean> {
  return (await shareBlobs(tx, [digest])).has(digest)
}
