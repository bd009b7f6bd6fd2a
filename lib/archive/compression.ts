// Recognises compression by magic bytes (never by file name) and undoes it on the fly.
import zlib from 'node:zlib'
import type { Transform } from 'node:stream'

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz' | 'zip'

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 4 && head.readUInt32BE(0) === 0x28b52ffd) return 'zstd'
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2'
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz'
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) return 'zip'
  return 'none'
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
