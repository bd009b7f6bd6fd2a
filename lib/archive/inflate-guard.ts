// Bounds what decompression can make of an archive, checked on every chunk as it streams: a few KB
// of gzip can inflate to many GB of zeros. Two bounds, as zip-bomb defences use:
//  - a total per archive: the uncompressed tar stream plus the inflated bytes of its compressed
//    layers (ArchiveBudget, shared by every stream of one upload);
//  - a ratio per compressed stream (inflated / compressed), only once the stream has inflated more
//    than a grace size, so small and very repetitive data passes.
import { Transform, type TransformCallback } from 'node:stream'
import { ImportError } from './import-error'
import type { Limits } from '../config'

export class ArchiveBudget {
  used = 0
  constructor(readonly limit: number) {}

  charge(bytes: number): ImportError | null {
    this.used += bytes
    if (this.used <= this.limit) return null
    return new ImportError(
      'ARCHIVE_TOO_LARGE',
      `the archive expands to more than ${this.limit} bytes (uncompressed tar plus inflated layers); that is the limit for one upload`,
      413,
    )
  }
}

export type InflateGuardOptions = {
  /** what is being inflated, for the message ("the archive", `layer "x"`) */
  what: string
  /** compressed bytes consumed so far; null for data that is not inflated (only the budget applies) */
  compressedBytes: (() => number) | null
  budget: ArchiveBudget | null
  limits: Pick<Limits, 'maxInflateRatio' | 'inflateRatioAfterBytes'>
}

export class InflateGuard extends Transform {
  bytes = 0

  constructor(private readonly opts: InflateGuardOptions) {
    super()
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    this.bytes += chunk.length
    const overBudget = this.opts.budget?.charge(chunk.length)
    if (overBudget) return cb(overBudget)
    const { maxInflateRatio, inflateRatioAfterBytes } = this.opts.limits
    const compressed = this.opts.compressedBytes?.()
    if (compressed !== undefined && this.bytes > inflateRatioAfterBytes && this.bytes > maxInflateRatio * Math.max(compressed, 1)) {
      return cb(
        new ImportError(
          'INFLATE_RATIO_EXCEEDED',
          `${this.opts.what} inflates more than ${maxInflateRatio} times (${compressed} compressed bytes gave over ${this.bytes}); ` +
            'this looks like a compression bomb',
          413,
        ),
      )
    }
    cb(null, chunk)
  }
}
