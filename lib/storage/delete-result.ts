// DeleteObjects answers 200 even when some keys were not deleted: each such key is listed in its `Errors`
// (AccessDenied from a bucket policy or object lock, InternalError, SlowDown, ...). Ignoring them would
// make callers drop the record of an object that is still stored (storage leaked, never collected again).
// A key that is already gone (NoSuchKey) is what the caller wanted, so it counts as deleted.

export type DeleteFailure = { key: string; code: string; message: string }

type S3DeleteError = { Key?: string; Code?: string; Message?: string }

/** The keys of a DeleteObjects answer that were NOT deleted (NoSuchKey counts as deleted). */
export function failedDeletes(errors: S3DeleteError[] | undefined): DeleteFailure[] {
  return (errors ?? [])
    .filter((e) => e.Code !== 'NoSuchKey')
    .map((e) => ({ key: e.Key ?? '(no key)', code: e.Code ?? 'Unknown', message: e.Message ?? '' }))
}

export class ObjectsNotDeletedError extends Error {
  readonly code = 'OBJECTS_NOT_DELETED'
  constructor(readonly failures: DeleteFailure[]) {
    const shown = failures.slice(0, 3).map((f) => `${f.key} (${f.code}${f.message && f.message !== f.code ? `: ${f.message}` : ''})`)
    super(`the object store did not delete ${failures.length} object(s): ${shown.join(', ')}${failures.length > 3 ? ', …' : ''}`)
    this.name = 'ObjectsNotDeletedError'
  }
}
