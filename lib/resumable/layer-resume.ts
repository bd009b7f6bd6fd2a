// Finishing the layer an import was inside of when its server stopped (a checkpoint with a `layer`):
// the body's first bytes are the rest of that layer. They continue its multipart upload after the
// stored parts; then the object is read back once to compute its digest. Node's SHA-256 (OpenSSL, SHA-NI
// here) cannot save its state, and a hasher that can (hash-wasm) is 8-10x slower on every byte of every
// upload (measured: 85-128 against 580-1017 MB/s; tus/POST fell to 0.65 with it); a read-back costs only
// the rare import that was cut inside a layer. The digest is verified like any other: a client that sends other bytes after the resume gets the
// layer refused by the config's diff_ids, as an archive corrupt from the start would be.
import { Transform, PassThrough, type Readable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Services } from '../services'
import type { MultipartHooks } from '../storage/blob-store'
import type { StagedBlob } from '../archive/staged-blob'
import { DigestStream } from '../archive/digest-stream'
import { ImportError } from '../archive/import-error'
import { writeLayerParts, LAYER_PART_SIZE, type StoredParts } from './layer-parts'
import type { LayerCheckpoint } from './checkpoint'

export type ContinueOptions = {
  signal?: AbortSignal
  multipart?: MultipartHooks
  keepParts(): boolean
  /** more of the layer is stored (bytes from its start, whole parts) */
  onStored?: (bytes: number, stored: StoredParts) => void
}

export async function continueLayer(services: Services, layer: LayerCheckpoint, rest: Readable, opts: ContinueOptions): Promise<StagedBlob> {
  const { store } = services
  const left = layer.size - layer.bytes
  const counted = new ByteCount()
  rest.on('error', (e) => counted.destroy(e))
  rest.pipe(counted)
  await writeLayerParts(store, layer.key, counted, {
    signal: opts.signal,
    onMultipartEnd: opts.multipart?.onMultipartEnd,
    from: { uploadId: layer.uploadId, parts: layer.parts },
    keepParts: opts.keepParts,
    onDurable: (stored) => opts.onStored?.(stored.parts.length * LAYER_PART_SIZE, stored),
  })
  const received = counted.bytes
  if (received !== left) throw new ImportError('TRUNCATED', `the archive ends inside layer "${layer.path}" (${layer.bytes + received} of ${layer.size} bytes)`)
  const digest = new DigestStream()
  await pipeline(await store.read(layer.key), digest, new PassThrough().resume(), { signal: opts.signal })
  if (digest.bytes !== layer.size) {
    throw new ImportError('STORAGE_FAILED', `layer "${layer.path}" was stored with ${digest.bytes} bytes instead of ${layer.size} after the upload resumed inside it`, 500)
  }
  const sha = digest.digest()
  return { key: layer.key, rawDigest: sha, rawSize: layer.size, digest: sha, size: layer.size, compression: 'none', written: Promise.resolve() }
}

class ByteCount extends Transform {
  bytes = 0
  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    this.bytes += chunk.length
    cb(null, chunk)
  }
}

/**
 * Splits a resumed body: its first `layerBytes` go to `layer` (with backpressure), the next `padding`
 * bytes (the tar padding after the layer) are dropped, and everything after passes through.
 */
export class LayerTail extends Transform {
  readonly layer = new PassThrough({ highWaterMark: 1024 * 1024 })

  constructor(
    private left: number,
    private padding: number,
  ) {
    super()
    this.layer.on('error', () => {}) // its reader reports it
    if (left === 0) this.layer.end()
    this.on('close', () => {
      if (!this.layer.writableEnded) this.layer.destroy(this.errored ?? new ImportError('TRUNCATED', 'the archive ended inside the layer the upload resumed in'))
    })
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    let rest = chunk
    let full = false
    if (this.left > 0) {
      const n = Math.min(this.left, rest.length)
      this.left -= n
      if (this.left === 0) this.layer.end(rest.subarray(0, n))
      else full = !this.layer.write(rest.subarray(0, n))
      rest = rest.subarray(n)
    }
    const skip = Math.min(this.padding, rest.length)
    this.padding -= skip
    rest = rest.subarray(skip)
    if (rest.length) this.push(rest)
    if (!full) return cb()
    const go = () => {
      this.layer.off('drain', go)
      this.layer.off('close', go)
      cb()
    }
    this.layer.once('drain', go)
    this.layer.once('close', go)
  }

  _flush(cb: TransformCallback) {
    if (this.left > 0) this.layer.destroy(new ImportError('TRUNCATED', 'the archive ended inside the layer the upload resumed in'))
    cb()
  }
}
