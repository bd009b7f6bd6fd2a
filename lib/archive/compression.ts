// Recognises compression by magic bytes (never by file name) and undoes it on the fly.
import zlib from 'node:zlib'
import type { Transform } from 'node:stream'
import { detectArchiveFormat, type ArchiveFormat } from './archive-messages'

export type Compression = ArchiveFormat

/** The same recognition the browser's preview uses (archive-messages.ts). */
export function detectCompression(head: Buffer): Compression {
  return detectArchiveFormat(head)
}

/** zstd needs Node >= 22.15; on older runtimes it is reported as unsupported. */
export function zstdAvailable(): boolean {
  return typeof (zlib as any).createZstdDecompress === 'function'
}

/** A decompressing transform for gzip (and zstd where the runtime has it), or null. */
export function decompressorFor(c: Compression): Transform | null {
  if (c === 'gzip') return zlib.createGunzip({ chunkSize: 256 * 1024 })
  if (c === 'zstd' && zstdAvailable()) return (zlib as any).createZstdDecompress()
  return null
}
