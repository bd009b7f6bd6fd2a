// The last check before a commit records new Blob rows: every object the rows will point at is in the
// bucket, whole. A row whose object is missing (deleted by another instance's sweep, lost by the store,
// cut short) would be served as a broken blob forever, and garbage collection would never notice, so
// such a commit fails and records nothing. One HEAD per object, a few at a time; no bytes are read.
import type { BlobStore } from '../storage/blob-store'
import { ImportError } from '../archive/import-error'

export type ExpectedObject = { key: string; size: number; digest: string }
export type ObjectProblem = ExpectedObject & { found: number | null }

export class ObjectsNotStoredError extends Error {
  readonly code = 'OBJECTS_NOT_STORED'
  constructor(readonly problems: ObjectProblem[]) {
    super(problems.slice(0, 3).map(describeProblem).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : ''))
    this.name = 'ObjectsNotStoredError'
  }
}

export function describeProblem(p: ObjectProblem): string {
  return p.found === null
    ? `${p.digest} is missing from the object store (${p.size} bytes were written)`
    : `${p.digest} has ${p.found} bytes in the object store, ${p.size} were written`
}

const CONCURRENCY = 8

/** Throws ObjectsNotStoredError naming every object that is missing or has another size. */
export async function verifyObjects(store: BlobStore, objects: ExpectedObject[]): Promise<void> {
  const distinct = [...new Map(objects.map((o) => [o.key, o])).values()]
  const problems: ObjectProblem[] = []
  let next = 0
  const worker = async () => {
    while (next < distinct.length) {
      const o = distinct[next++]
      const found = await store.stat(o.key)
      if (found !== o.size) problems.push({ ...o, found })
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, distinct.length) }, worker))
  if (problems.length) throw new ObjectsNotStoredError(problems)
}

/** verifyObjects for an archive import: a failure is the import's (STORAGE_FAILED, 500), nothing recorded. */
export async function verifyImportObjects(store: BlobStore, blobs: { key: string; size: number; digest: string }[]): Promise<void> {
  try {
    await verifyObjects(store, blobs)
  } catch (e) {
    if (!(e instanceof ObjectsNotStoredError)) throw e
    throw new ImportError('STORAGE_FAILED', `the import failed on the server: ${e.message}; nothing was stored, upload the archive again`, 500, {
      objects: e.problems.map(({ digest, size, found }) => ({ digest, size, found })),
    })
  }
}
