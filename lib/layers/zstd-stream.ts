// A streaming zstd decoder as a Node Transform (Node 20's zlib has none). fzstd decodes synchronously,
// so we never hand it more than a bounded run of whole blocks: we walk the frame structure ourselves
// (frame headers, 3-byte block headers, checksums, skippable frames). That lets us
//  - refuse a frame whose window would need more than `maxWindow` bytes before fzstd allocates it,
//  - bound the output of one synchronous step (a zstd block expands to at most 128 KiB),
//  - yield to the event loop (setImmediate) between steps and wait while the reader is behind.
import { Transform, type TransformCallback } from 'node:stream'
import { Decompress } from 'fzstd'

/** largest window a frame may ask for: the decoder keeps one window of history per stream */
export const MAX_ZSTD_WINDOW = 128 * 1024 * 1024
const MAX_BLOCK = 128 * 1024 // zstd's Block_Maximum_Size
const STEP_INPUT = 64 * 1024 // compressed bytes per synchronous step
const STEP_BLOCKS = 16 // blocks per step: at most 2 MiB of output
// fzstd moves its whole window after every block: fewer blocks per step for a large window
const STEP_WINDOW_BYTES = 16 * 1024 * 1024

type State =
  | { at: 'magic' }
  | { at: 'header' }
  | { at: 'block'; checksum: boolean; perStep: number }
  | { at: 'skip'; left: number } // a skippable frame's payload, or a frame's 4-byte checksum

export class ZstdStreamError extends Error {}

/** Bytes the window of a frame with this header needs, or null when `b` is shorter than the header. Throws on a bad header. */
export function zstdFrameHeader(b: Uint8Array, maxWindow = MAX_ZSTD_WINDOW): { length: number; window: number; checksum: boolean } | null {
  if (b.length < 5) return null
  const fhd = b[4]
  const single = (fhd >> 5) & 1
  const fcsFlag = fhd >> 6
  if (fhd & 8) throw new ZstdStreamError('the zstd frame header is invalid (reserved bit set)')
  const dictBytes = [0, 1, 2, 4][fhd & 3]
  const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag
  const length = 5 + (single ? 0 : 1) + dictBytes + fcsBytes
  if (b.length < length) return null
  const at = 5 + (single ? 0 : 1)
  let dict = 0
  for (let i = dictBytes - 1; i >= 0; i--) dict = dict * 256 + b[at + i]
  if (dict !== 0) throw new ZstdStreamError(`the zstd frame needs dictionary ${dict}, which this server does not have`)
  let window: number
  if (single) {
    // the window is the whole content: its size is the frame content size field
    window = 0
    for (let i = fcsBytes - 1; i >= 0; i--) window = window * 256 + b[at + dictBytes + i]
    if (fcsBytes === 2) window += 256
  } else {
    const base = 2 ** (10 + (b[5] >> 3))
    window = base + (base / 8) * (b[5] & 7)
  }
  if (window > maxWindow) {
    throw new ZstdStreamError(`the zstd frame asks for a ${mib(window)} MiB window; this server decodes frames up to ${mib(maxWindow)} MiB (compress with a smaller --long / window log)`)
  }
  return { length, window, checksum: ((fhd >> 2) & 1) === 1 }
}

const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10

export class ZstdDecompressStream extends Transform {
  /** setImmediate turns taken between steps (tests check that a big layer is not decoded in one go) */
  yields = 0
  private readonly decoder: Decompress
  private pending: Buffer = Buffer.alloc(0) // input not yet handed to the decoder (at most one partial unit)
  private state: State = { at: 'magic' }
  private frames = 0
  private behind: (() => void) | null = null // resumes a step loop once the reader caught up
  private readerFull = false

  constructor(private readonly maxWindow = MAX_ZSTD_WINDOW) {
    super()
    this.decoder = new Decompress((data) => {
      if (data.length && !this.push(Buffer.from(data.buffer, data.byteOffset, data.length))) this.readerFull = true
    })
  }

  _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk
    this.steps(cb)
  }

  _flush(cb: TransformCallback) {
    try {
      if (this.frames === 0) throw new ZstdStreamError('the zstd stream is empty')
      if (this.state.at !== 'magic' || this.pending.length) throw new ZstdStreamError('the zstd stream ends inside a frame (truncated)')
      this.decoder.push(new Uint8Array(0), true)
      cb()
    } catch (e) {
      cb(asError(e))
    }
  }

  _read(size: number) {
    this.readerFull = false
    const go = this.behind
    this.behind = null
    go?.()
    super._read(size)
  }

  /** Decodes the whole units in `pending`, one bounded step at a time, then calls `cb`. */
  private steps(cb: TransformCallback) {
    if (this.destroyed) return // the reader went away (a download that has its file): stop decoding
    let cut: number
    try {
      cut = this.nextStep()
      if (cut > 0) this.decoder.push(this.pending.subarray(0, cut))
    } catch (e) {
      return cb(asError(e))
    }
    this.pending = this.pending.subarray(cut)
    if (cut === 0) return cb() // need more input
    const next = () => {
      this.yields++
      setImmediate(() => this.steps(cb))
    }
    if (this.readerFull) this.behind = next
    else next()
  }

  /** How many bytes of `pending` form the next step (whole units only), advancing the parse state. */
  private nextStep(): number {
    const b = this.pending
    let pos = 0
    let blocks = 0
    for (;;) {
      if (pos >= STEP_INPUT || (this.state.at === 'block' && blocks >= this.state.perStep)) return pos
      const rest = b.subarray(pos)
      const s = this.state
      if (s.at === 'magic') {
        if (rest.length < 8) {
          if (rest.length >= 4 && isZstdMagic(rest)) this.state = { at: 'header' }
          else if (rest.length >= 4 && !isSkippableMagic(rest)) throw new ZstdStreamError('this is not a zstd stream (no zstd frame magic number)')
          if (this.state.at === 'magic') return pos
          continue
        }
        if (isZstdMagic(rest)) this.state = { at: 'header' }
        else if (isSkippableMagic(rest)) {
          this.state = { at: 'skip', left: rest.readUInt32LE(4) }
          pos += 8
        } else throw new ZstdStreamError('this is not a zstd stream (no zstd frame magic number)')
      } else if (s.at === 'header') {
        const h = zstdFrameHeader(rest, this.maxWindow)
        if (!h) return pos
        this.frames++
        this.state = { at: 'block', checksum: h.checksum, perStep: Math.max(1, Math.min(STEP_BLOCKS, Math.floor(STEP_WINDOW_BYTES / h.window))) }
        pos += h.length
      } else if (s.at === 'block') {
        if (rest.length < 3) return pos
        const head = rest[0] | (rest[1] << 8) | (rest[2] << 16)
        const type = (head >> 1) & 3
        const size = head >>> 3
        if (type === 3) throw new ZstdStreamError('the zstd stream is corrupt (reserved block type)')
        if (size > MAX_BLOCK) throw new ZstdStreamError('the zstd stream is corrupt (a block larger than 128 KiB)')
        const length = 3 + (type === 1 ? 1 : size)
        if (rest.length < length) return pos
        pos += length
        blocks++
        if (head & 1) this.state = s.checksum ? { at: 'skip', left: 4 } : { at: 'magic' }
      } else {
        const n = Math.min(s.left, rest.length)
        pos += n
        s.left -= n
        if (s.left > 0) return pos
        this.state = { at: 'magic' }
      }
    }
  }
}

const isZstdMagic = (b: Uint8Array) => b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd
const isSkippableMagic = (b: Uint8Array) => (b[0] & 0xf0) === 0x50 && b[1] === 0x2a && b[2] === 0x4d && b[3] === 0x18

function asError(e: unknown): Error {
  if (e instanceof ZstdStreamError) return e
  return new ZstdStreamError(`the zstd stream is corrupt: ${(e as Error)?.message ?? e}`)
}

export function createZstdDecompress(maxWindow = MAX_ZSTD_WINDOW): ZstdDecompressStream {
  return new ZstdDecompressStream(maxWindow)
}
