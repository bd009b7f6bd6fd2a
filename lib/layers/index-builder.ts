// Builds one layer's index while the background pass reads the layer: chunks go through the tar
// scanner, each entry becomes a line of a gzip stream that is written to the bucket as it is produced
// (a multipart upload for big indexes), so memory stays flat whatever the number of entries. A body
// that is not a tar is recorded as `not-a-tar` with the reason; it never fails the pass.
import zlib from 'node:zlib'
import { Transform, type TransformOptions } from 'node:stream'
import type { Services } from '../services'
import { TarScanner, NotATarError } from './tar-scanner'
import { entryLine, type IndexEntry } from './index-entry'
import { newIndexKey } from './index-keys'
import { recordedMultipart } from '../lifecycle/multipart-records'

export type OffsetsOf = 'stored' | 'decompressed'

export type IndexOutcome =
  | { state: 'ready'; entryCount: number; fileCount: number; fileBytes: number; indexBytes: number; compressedContentBytes: number; compressibleBytes: number }
  | { state: 'not-a-tar'; error: string }

/**
 * gzip level of index objects. Level 6 was chosen while the scan was the slow part; with the scan at
 * ~1.3 µs per entry, gzip -6 of the 17.5 MB of lines of 200,000 entries (~130 ms on libuv's pool) became
 * the build's critical path on a busy 2-core machine: in-memory build 950 ms wall vs 270-310 ms with
 * level 1, for an index 5% larger (1.42 vs 1.35 MiB; `bench/layer-index.ts --in-memory`).
 */
const INDEX_GZIP_LEVEL = 1
/** index text gathered before it is handed to gzip */
const WRITE_AT = 64 * 1024

export class IndexBuilder {
  private scanner: TarScanner
  private gzip: zlib.Gzip
  private stored: Promise<void>
  private storeError: unknown = null
  private notATar: string | null = null
  /** index lines not yet handed to gzip (less than WRITE_AT characters between feeds) */
  private text = ''
  private fileCount = 0
  private fileBytes = 0
  private compressedContentBytes = 0
  private indexBytes = 0

  private constructor(
    private readonly services: Services,
    readonly key: string,
    digest: string,
    gzipLevel: number,
  ) {
    // room for a few pieces of text: the scan goes on while libuv's pool compresses the previous piece
    // (with the default 16 KiB, every 64 KiB write waited for 'drain': scan and gzip took turns)
    const options: zlib.ZlibOptions & TransformOptions = { level: gzipLevel, chunkSize: 64 * 1024, writableHighWaterMark: 4 * WRITE_AT }
    this.gzip = zlib.createGzip(options)
    this.scanner = new TarScanner((e) => this.add(e))
    const counted = new Transform({
      transform: (chunk: Buffer, _e, cb) => {
        this.indexBytes += chunk.length
        cb(null, chunk)
      },
    })
    this.gzip.pipe(counted)
    // errors reach the object write (its rejection is this.stored); no 'error' may go unhandled
    this.gzip.on('error', () => {})
    counted.on('error', () => {})
    // pipe() does not pass destruction along: a failed object write destroys `counted`, a discard `gzip`
    counted.once('close', () => this.gzip.destroy())
    this.gzip.once('close', () => {
      if (!this.gzip.readableEnded) counted.destroy(new Error('index discarded'))
    })
    // a big index is a multipart upload: recorded, so expiry aborts its parts after a crash (no upload row
    // is named by this owner: expiry treats it as abandoned once older than its cutoff)
    this.stored = services.store.write(key, counted, recordedMultipart(services, key, `layer-index:${digest}`)).catch((e) => {
      this.storeError ??= e
    })
  }

  /**
   * Records the build in the database (state `building`, its object key) BEFORE the object is written.
   * `gzipLevel` is for the benchmark's comparison; the server uses INDEX_GZIP_LEVEL.
   */
  static async start(services: Services, digest: string, offsetsOf: OffsetsOf, gzipLevel = INDEX_GZIP_LEVEL): Promise<IndexBuilder> {
    const key = newIndexKey()
    const data = { state: 'building', objectKey: key, offsetsOf, error: null, entryCount: null, fileCount: null, fileBytes: null, indexBytes: null, compressedContentBytes: null, compressibleBytes: null }
    await services.db.layerIndex.upsert({ where: { digest }, create: { digest, ...data }, update: data })
    return new IndexBuilder(services, key, digest, gzipLevel)
  }

  private add(e: IndexEntry) {
    if (e.t === 'file') {
      this.fileCount++
      this.fileBytes += e.s
      if (e.z) this.compressedContentBytes += e.s
    }
    this.text += entryLine(e)
  }

  /** Feeds the next chunk of the (uncompressed) layer; resolves when the index stream can take more. */
  async feed(chunk: Buffer): Promise<void> {
    if (this.notATar !== null || this.storeError) return
    try {
      this.scanner.write(chunk)
    } catch (e) {
      if (!(e instanceof NotATarError)) throw e
      this.notATar = e.message
    }
    // the text goes to gzip in pieces of 64 KiB and more: each write costs the main thread ~15 µs
    // beyond its bytes (the hand-off to libuv's pool), and a 64 KiB layer chunk holds only ~5 KiB of lines
    if (this.text.length >= WRITE_AT) {
      const text = this.text
      this.text = ''
      if (!this.gzip.write(text)) await new Promise<void>((resolve) => {
        // a failed object write destroys the stream: 'close' instead of 'drain'
        const done = () => {
          this.gzip.off('drain', done)
          this.gzip.off('close', done)
          resolve()
        }
        this.gzip.once('drain', done)
        this.gzip.once('close', done)
      })
    }
  }

  /** The layer was read to its end: finishes the object (or discards it for a body that is not a tar). */
  async finish(): Promise<IndexOutcome> {
    if (this.notATar === null && !this.storeError) {
      try {
        this.scanner.end()
      } catch (e) {
        if (!(e instanceof NotATarError)) throw e
        this.notATar = e.message
      }
    }
    if (this.notATar !== null) {
      await this.discard()
      return { state: 'not-a-tar', error: this.notATar }
    }
    if (this.text) this.gzip.write(this.text)
    this.text = ''
    this.gzip.end()
    await this.stored
    if (this.storeError) throw this.storeError
    return {
      state: 'ready',
      entryCount: this.scanner.entries,
      fileCount: this.fileCount,
      fileBytes: this.fileBytes,
      indexBytes: this.indexBytes,
      compressedContentBytes: this.compressedContentBytes,
      compressibleBytes: this.fileBytes - this.compressedContentBytes,
    }
  }

  /** Stops the object write (the pass failed or the body is not a tar) and deletes what was stored. */
  async discard(): Promise<void> {
    this.gzip.destroy()
    await this.stored
    await this.services.store.delete([this.key]).catch(() => {})
  }
}
