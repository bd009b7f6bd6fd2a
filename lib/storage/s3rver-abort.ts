// AbortMultipartUpload for s3rver 3.7, which does not implement it (DELETE ?uploadId= answers 405
// MethodNotAllowed) and keeps the parts in <dir>/<bucket>/._S3rver_uploads/<uploadId>/ forever, so with
// the embedded default every failed upload would leak disk. This middleware answers the request as S3
// does: removes the upload's parts (204), or NoSuchUpload (404).
import fs from 'node:fs/promises'
import path from 'node:path'

type KoaContext = { method: string; path: string; query: Record<string, unknown>; status: number; body: unknown; type: string }
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>

const UPLOAD_ID = /^[0-9a-f]{32}$/ // s3rver's ids: 16 random bytes, hex
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** Where s3rver keeps the parts of an unfinished multipart upload. */
export function s3rverUploadDir(directory: string, bucket: string, uploadId: string) {
  return path.join(directory, bucket, '._S3rver_uploads', uploadId)
}

/** Makes `server` (an s3rver instance, before run()) answer AbortMultipartUpload (path-style requests). */
export function removePartsOnAbort(server: { middleware: KoaMiddleware[] }, directory: string) {
  server.middleware.unshift(async (ctx, next) => {
    const uploadId = ctx.query.uploadId
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string') return next()
    const [, bucket = '', ...keyParts] = ctx.path.split('/')
    const dir = UPLOAD_ID.test(uploadId) && BUCKET.test(bucket) ? s3rverUploadDir(directory, bucket, uploadId) : null
    // s3rver wrote the object key into the upload's directory: an id only counts for its own key
    const storedKey = dir && (await fs.readFile(path.join(dir, 'key'), 'utf8').catch(() => null))
    if (!dir || storedKey !== decodeURIComponent(keyParts.join('/'))) {
      ctx.status = 404
      ctx.type = 'application/xml'
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`
      return
    }
    await fs.rm(dir, { recursive: true, force: true })
    ctx.status = 204
  })
}
