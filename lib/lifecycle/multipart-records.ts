// Every S3 multipart upload Stowage starts is recorded (MultipartUpload: id, key, owner) before its first
// part is sent, and the record goes when the upload is completed or aborted. A crash in between leaves the
// record, so expiry can abort the upload by id once its owner is gone, on stores that cannot list
// unfinished multipart uploads (parts there would otherwise stay on disk forever).
import type { Services } from '../services'
import type { MultipartHooks } from '../storage/blob-store'

/** Owner of the multipart upload of a registry push session (lib/oci/chunk-writer.ts): push-session-owner.ts. */
export { pushSessionOwner } from './push-session-owner'

export async function recordMultipart(db: Services['db'], uploadId: string, objectKey: string, ownerId: string) {
  await db.multipartUpload.create({ data: { uploadId, objectKey, ownerId } })
}

/** Drops the record of a completed or aborted upload. Failing is harmless: expiry finds it finished later. */
export async function forgetMultipart(db: Services['db'], uploadId: string) {
  await db.multipartUpload.deleteMany({ where: { uploadId } }).catch(() => {})
}

/** Hooks for BlobStore.write that record a streamed write's multipart upload for `ownerId`. */
export function recordedMultipart(services: Pick<Services, 'db'>, objectKey: string, ownerId: string): MultipartHooks {
  return {
    onMultipartStart: (uploadId) => recordMultipart(services.db, uploadId, objectKey, ownerId),
    onMultipartEnd: (uploadId) => forgetMultipart(services.db, uploadId),
  }
}
