// ManifestChild rows: which manifests an image index lists (same repository). Garbage collection keeps a
// listed manifest as long as its index exists, and the database refuses to delete it (FK RESTRICT), so
// every path that stores an index writes them: the registry push (lib/oci/manifest-store.ts) and the
// archive import (lib/registry/commit-index.ts).
import type { Services } from '../services'
import { chunks, insertRows } from './bulk-sql'

type Tx = Services['db']

/**
 * Records that index `parentId` lists these manifests; rows present already are kept (a re-pushed index,
 * or a child deleted by digest and pushed again, gets its missing rows back).
 */
export async function insertChildLinks(tx: Tx, parentId: number, childIds: number[]): Promise<void> {
  const wanted = [...new Set(childIds)]
  if (!wanted.length) return
  const have = new Set<number>()
  for (const part of chunks(wanted)) {
    for (const r of await tx.manifestChild.findMany({ where: { parentId, childId: { in: part } }, select: { childId: true } })) have.add(r.childId)
  }
  await insertRows(
    tx,
    'ManifestChild',
    [
      ['parentId', 'int'],
      ['childId', 'int'],
    ],
    wanted.filter((id) => !have.has(id)).map((id) => [parentId, id]),
  )
}
