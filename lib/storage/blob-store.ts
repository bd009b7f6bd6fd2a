// The storage driver interface: everything Stowage needs from an object store, nothing more.
// Keys are opaque ([a-z0-9/._-]); the database maps digests to keys.
import type { Readable } from 'node:stream'

export type ByteRange = { start: number; end: number } // inclusive, like HTTP Range

export interface BlobStore {
  /** Streams `body` into `key` (multipart for large bodies); resolves once the object is stored. */
  write(key: string, body: Readable | Buffer, opts?: { signal?: AbortSignal }): Promise<void>
  /** Streams the object (or a byte range of it). */
  read(key: string, range?: ByteRange): Promise<Readable>
  /** Object size in bytes, or null when it does not exist. */
  stat(key: string): Promise<number | null>
  /** Deletes the objects; missing ones are not an error. */
  delete(keys: string[]): Promise<void>
  /** All keys under a prefix. */
  list(prefix: string): AsyncIterable<{ key: string; size: number }>
}
