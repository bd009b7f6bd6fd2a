// BlobStore on any S3-compatible service (AWS S3, Ceph RGW, MinIO, R2, the embedded s3rver).
import { Readable } from 'node:stream'
import {
  S3Client,
  GetObjectCommand,
  HeadObjectCommand,
  HeadBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  CreateBucketCommand,
  PutObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { BlobStore, ByteRange, WriteOptions } from './blob-store'
import type { S3Settings } from '../config'
import { PartBufferPool, writeInParts } from './part-writer'
import { StoreUnavailableError, isConnectionFailure, storeFaultMessage } from './store-errors'
import { s3ClientOptions } from './s3-client-options'
import { failedDeletes, ObjectsNotDeletedError, type DeleteFailure } from './delete-result'

export const MULTIPART_PART_SIZE = 8 * 1024 * 1024
/** Parts being sent per object while the next one fills: a streamed write holds (this + 1) × 8 MiB. */
export const MULTIPART_PARTS_IN_FLIGHT = 2

export function createS3Client(s: S3Settings & { endpoint: string }) {
  // The SDK version is pinned (package.json) for Node 20; its notice about future releases is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    // The SDK's default checksums frame streamed bodies as aws-chunked; s3rver stores that framing
    // verbatim (silent corruption). Checksums only when an operation requires them works everywhere.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...s3ClientOptions(s.tuning),
  })
}

/** Said when the store cannot be reached; the embedded store's supervisor makes it more precise. */
export const DEFAULT_UNAVAILABLE_MESSAGE = 'the object store is not reachable; try again in a moment'

export class S3BlobStore implements BlobStore {
  private partBuffers = new PartBufferPool()
  /** What a caller is told when the store cannot be reached (never the store's address). */
  unavailableMessage = DEFAULT_UNAVAILABLE_MESSAGE

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /** Every request goes through here, so a store that cannot be reached is always reported the same way. */
  private async send<T>(command: object, opts?: { abortSignal?: any }): Promise<T> {
    try {
      return (await this.client.send(command as any, opts)) as T
    } catch (e) {
      if (isConnectionFailure(e)) throw new StoreUnavailableError(this.unavailableMessage, { cause: e })
      // the store answered, but with its own failure (5xx after the retries, the bucket gone): not the client's
      const fault = storeFaultMessage(e, this.bucket)
      if (fault) throw new StoreUnavailableError(fault, { cause: e })
      throw e
    }
  }

  async ensureBucket() {
    try {
      await this.send<any>(new CreateBucketCommand({ Bucket: this.bucket }))
    } catch (e: any) {
      if (!['BucketAlreadyExists', 'BucketAlreadyOwnedByYou'].includes(e?.name)) throw e
    }
  }

  async write(key: string, body: Readable | Buffer, opts: WriteOptions = {}) {
    if (Buffer.isBuffer(body)) return this.putObject(key, body, opts.signal)
    await writeInParts(this, key, body, {
      partSize: MULTIPART_PART_SIZE,
      partsInFlight: MULTIPART_PARTS_IN_FLIGHT,
      pool: this.partBuffers,
      signal: opts.signal,
      onMultipartStart: opts.onMultipartStart,
      onMultipartEnd: opts.onMultipartEnd,
    })
  }

  /** One PUT of a body already in memory. */
  async putObject(key: string, body: Buffer, signal?: AbortSignal) {
    await this.send<any>(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length }), {
      abortSignal: signal as any,
    })
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const out = await this.send<any>(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
    )
    return out.Body as Readable
  }

  async probe(signal?: AbortSignal) {
    await this.send<any>(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal as any })
  }

  async stat(key: string) {
    try {
      const out = await this.send<any>(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return out.ContentLength ?? 0
    } catch (e: any) {
      if (e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404) return null
      throw e
    }
  }

  /** Deletes the keys (a missing one is no error); throws ObjectsNotDeletedError naming the keys still stored. */
  async delete(keys: string[]) {
    const failures: DeleteFailure[] = []
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000)
      if (!batch.length) continue
      // Quiet: the answer lists only the keys that failed, which a 200 does not rule out
      const out = await this.send<any>(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      )
      failures.push(...failedDeletes(out.Errors))
    }
    if (failures.length) throw new ObjectsNotDeletedError(failures)
  }

  async *list(prefix: string) {
    // Paginate with StartAfter: s3rver 3.7 answers ContinuationToken pages with a 500 on Node >= 17.
    let startAfter: string | undefined
    for (;;) {
      const out = await this.send<any>(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, StartAfter: startAfter, MaxKeys: 1000 }),
      )
      const items = out.Contents ?? []
      for (const o of items) yield { key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified instanceof Date ? o.LastModified : undefined }
      if (!out.IsTruncated || !items.length) return
      startAfter = items[items.length - 1].Key
    }
  }

  async startMultipart(key: string) {
    const out = await this.send<any>(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }))
    if (!out.UploadId) throw new Error(`the object store started no multipart upload for ${key}`)
    return out.UploadId
  }

  async writePart(key: string, uploadId: string, partNumber: number, body: Buffer) {
    const out = await this.send<any>(
      new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }),
    )
    if (!out.ETag) throw new Error(`the object store returned no ETag for part ${partNumber} of ${key}`)
    return out.ETag
  }

  async completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]) {
    await this.send<any>(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    )
  }

  async abortMultipart(key: string, uploadId: string) {
    await this.send<any>(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
  }

  /** Unfinished multipart uploads under a prefix (each key with its upload id and start time). */
  async *listMultipartUploads(prefix: string) {
    let keyMarker: string | undefined
    let uploadIdMarker: string | undefined
    for (;;) {
      const out = await this.send<any>(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
      )
      for (const u of out.Uploads ?? []) {
        if (u.Key && u.UploadId) yield { key: u.Key as string, uploadId: u.UploadId as string, initiated: (u.Initiated as Date | undefined) ?? null }
      }
      if (!out.IsTruncated) return
      keyMarker = out.NextKeyMarker
      uploadIdMarker = out.NextUploadIdMarker
      if (!keyMarker && !uploadIdMarker) return
    }
  }

  /** A presigned GET: the client downloads from the object store, the server moves no bytes. */
  async readUrl(key: string, expiresInSeconds: number) {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds })
  }
}
