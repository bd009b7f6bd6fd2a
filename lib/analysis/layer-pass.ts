// The one background read of a stored layer: the bytes go (decompressed first for a layer pushed gzip/zstd)
// through the tar index builder and into the size measurement, so a layer is read from the bucket once
// for both. Every stage is a stream with backpressure: memory does not grow with the layer.
import zlib from 'node:zlib'
import { layerDecompressor, type LayerCompression } from '../layers/index-state'
import { Transform, Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PUSH_GZIP_LEVEL, paced, type Pace } from './measure'
import type { IndexBuilder } from '../layers/index-builder'

export type PassOptions = {
  /** the stored object is gzip/zstd: measure its uncompressed size (and index the decompressed stream) */
  compression: LayerCompression
  /** measure the size the other form has (false: only the index is wanted) */
  measure: boolean
  index: IndexBuilder | null
  pace?: Pace
}

/** What the pass measured: the uncompressed size (compressed) or the gzip-6 size (stored uncompressed). */
export type PassResult = { uncompressedBytes: number; gzipBytes: number | null }

class ByteCount extends Writable {
  bytes = 0
  _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    this.bytes += chunk.length
    cb()
  }
}

export async function readLayerOnce(body: Readable, opts: PassOptions): Promise<PassResult> {
  let uncompressed = 0
  const { pace, index } = opts
  // paces the read (foreground work first), counts the uncompressed bytes and feeds the index
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      uncompressed += chunk.length
      const go = () => {
        if (!index) return cb(null, chunk)
        index.feed(chunk).then(() => cb(null, chunk), cb)
      }
      const wait = opts.compression ? undefined : pace?.() // a compressed body is paced before the decompressor
      if (!wait) return go()
      wait.then(go, cb)
    },
  })
  const stages: NodeJS.ReadWriteStream[] = []
  if (opts.compression) {
    if (pace) stages.push(paced(pace))
    stages.push(layerDecompressor(opts.compression))
  }
  stages.push(tap)
  const sink = new ByteCount()
  const measureGzip = !opts.compression && opts.measure
  if (measureGzip) stages.push(zlib.createGzip({ level: PUSH_GZIP_LEVEL, chunkSize: 128 * 1024 }))
  await pipeline([body, ...stages, sink] as any)
  return { uncompressedBytes: uncompressed, gzipBytes: measureGzip ? sink.bytes : null }
}
