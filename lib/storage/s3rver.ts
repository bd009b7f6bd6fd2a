// s3rver as Stowage runs it, for the embedded default and for the tests alike: on 127.0.0.1, one bucket,
// and with AbortMultipartUpload and ListMultipartUploads, which s3rver 3.7 does not implement (DELETE
// ?uploadId= answers 405 MethodNotAllowed, GET ?uploads NotImplemented, and the parts stay in
// <dir>/<bucket>/._S3rver_uploads/<uploadId>/ forever, so every failed or crashed upload would leak disk).
import fs from 'node:fs/promises'
import path from 'node:path'
import S3rver from 's3rver'

type KoaContext = { method: string; path: string; query: Record<string, unknown>; status: number; body: unknown; type: string }
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>

const UPLOAD_ID = /^[0-9a-f]{32}$/ // s3rver's ids: 16 random bytes, hex
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** Where s3rver keeps the parts of an unfinished multipart upload. */
export function s3rverUploadDir(directory: string, bucket: string, uploadId: string) {
  return path.join(directory, bucket, '._S3rver_uploads', uploadId)
}

/** An s3rver serving `bucket` from `directory`; port 0 picks a free one (run() tells which). */
export function createS3rver(directory: string, bucket: string, port = 0) {
  const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] } as any)
  answerAbortMultipart(server as unknown as { middleware: KoaMiddleware[] }, directory)
  answerListMultipart(server as unknown as { middleware: KoaMiddleware[] }, directory)
  keepDirectoriesOnDelete((server as unknown as { store: FilesystemStore }).store)
  return server
}

type FilesystemStore = { getResourcePath(bucket: string, key: string, kind: string): string; deleteObject(bucket: string, key: string): Promise<void> }

/**
 * s3rver's DeleteObject removes the object's folder once it is empty, while a PutObject of another key in
 * the same folder may have just created it: that write then fails with ENOENT (garbage collection deletes
 * objects while uploads write new ones, so the race is real). Objects are deleted, folders are kept.
 */
function keepDirectoriesOnDelete(store: FilesystemStore) {
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((kind) =>
        fs.unlink(store.getResourcePath(bucket, key, kind)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e
        }),
      ),
    )
  }
}

/** Where s3rver keeps the unfinished multipart uploads of a bucket (one folder per upload id). */
export const s3rverUploadsRoot = (directory: string, bucket: string) => path.join(directory, bucket, '._S3rver_uploads')

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** Answers ListMultipartUploads (GET /<bucket>?uploads, path-style), all uploads in one page. */
function answerListMultipart(server: { middleware: KoaMiddleware[] }, directory: string) {
  server.middleware.unshift(async (ctx, next) => {
    const [, bucket = '', ...rest] = ctx.path.split('/')
    if (ctx.method !== 'GET' || ctx.query.uploads === undefined || rest.some(Boolean) || !BUCKET.test(bucket)) return next()
    const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : ''
    const root = s3rverUploadsRoot(directory, bucket)
    const ids = (await fs.readdir(root).catch(() => [] as string[])).filter((id) => UPLOAD_ID.test(id)).sort()
    const uploads: string[] = []
    for (const id of ids) {
      const dir = path.join(root, id)
      const key = await fs.readFile(path.join(dir, 'key'), 'utf8').catch(() => null)
      if (key === null || !key.startsWith(prefix)) continue
      const initiated = (await fs.stat(dir).catch(() => null))?.birthtime ?? new Date(0)
      uploads.push(
        `<Upload><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
      )
    }
    ctx.status = 200
    ctx.type = 'application/xml'
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${bucket}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${xmlEscape(prefix)}</Prefix>` +
      `<MaxUploads>${Math.max(1000, uploads.length)}</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`
  })
}

/** Answers AbortMultipartUpload (path-style requests) as S3 does: parts removed (204), or NoSuchUpload (404). */
function answerAbortMultipart(server: { middleware: KoaMiddleware[] }, directory: string) {
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
