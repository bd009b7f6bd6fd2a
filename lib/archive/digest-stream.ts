// A pass-through that computes sha256 and counts bytes, optionally failing past a size limit.
import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

export class DigestStream extends Transform {
  private hash = createHash('sha256')
  bytes = 0

  constructor(private readonly limit = Infinity, private readonly onLimit?: () => Error) {
    super()
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    this.bytes += chunk.length
    if (this.bytes > this.limit) return cb(this.onLimit?.() ?? new Error(`more than ${this.limit} bytes`))
    this.hash.update(chunk)
    cb(null, chunk)
  }

  /** "sha256:<hex>"; only valid after the stream has finished. */
  digest(): string {
    return 'sha256:' + this.hash.digest('hex')
  }
}

export const sha256 = (data: Buffer | string) => 'sha256:' + createHash('sha256').update(data).digest('hex')
