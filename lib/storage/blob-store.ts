// The storage driver interface: everything Stowage needs from an object store, nothing more.
// Keys are opaque ([a-z0-9/._-]); the database maps digests to keys.
import type { Readable } from 'node:stream'

export type ByteRange = { start: number; end: number } // inclusive, like HTTP Range

/** Told about the multipart upload a streamed write starts (to record it: lib/lifecycle/multipart-records.ts). */
export type MultipartHooks = {
  /** awaited after the upload is created and before its first part is sent; a throw aborts the write */
  onMultipartStart?(uploadId: string): Promise<void>
  /** after the upload was completed or aborted (not when aborting failed: its parts may still exist) */
  onMultipartEnd?(uploadId: string): Promise<void>
}

export type WriteOptions = MultipartHooks & { signal?: AbortSignal }

export interface BlobStore {
  /** Streams `body` into `key` (multipart for large bodies); resolves once the object is stored. */
  write(key: string, body: Readable | Buffer, opts?: WriteOptions): Promise<void>
  /** Streams the object (or a byte range of it). */
  read(key: string, range?: ByteRange): Promise<Readable>
  /** Object size in bytes, or null when it does not exist. */
  stat(key: string): Promise<number | null>
  /** Deletes the objects; missing ones are not an error, keys the store refused to delete are (it throws naming them). */
  delete(keys: string[]): Promise<void>
  /** All keys under a prefix, with when each was last written when the store tells (garbage collection's grace). */
  list(prefix: string): AsyncIterable<{ key: string; size: number; lastModified?: Date }>

  // Multipart primitives for objects that arrive in pieces over several requests (registry push
  // sessions). Every part but the last must be at least 5 MiB (S3's minimum).
  /** Starts a multipart upload of `key`; returns its upload id. */
  startMultipart(key: string): Promise<string>
  /** Stores part `partNumber` (1-based); returns its ETag. Writing a number again replaces the part. */
  writePart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string>
  /** Assembles the parts, in the order given, into the object `key`. */
  completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void>
  /** Discards an unfinished multipart upload and its parts. */
  abortMultipart(key: string, uploadId: string): Promise<void>
  /** Unfinished multipart uploads under a prefix, to collect the parts of writes a crash cut off. */
  listMultipartUploads?(prefix: string): AsyncIterable<{ key: string; uploadId: string; initiated: Date | null }>
  /** Resolves when the bucket answers (readiness, lib/ops/readiness.ts); throws when it is unreachable or gone. */
  probe?(signal?: AbortSignal): Promise<void>
  /** A time-limited URL from which a client can read the object directly (drivers that can sign). */
  readUrl?(key: string, expiresInSeconds: number): Promise<string>
}
