// One regular file of a layer, sent from the stored object at its indexed offset. For a layer stored
// uncompressed (archive imports, pushed plain tar) that is one Range read: the file's bytes and nothing
// else. For a layer pushed gzip or zstd, offsets are of the decompressed stream: the object is read from
// its start and decompressed up to the file, so only files within the first MAX_SKIP_BYTES are served.
import { layerCompression, layerDecompressor } from './index-state'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import type { Services } from '../services'
import { streamObject } from '../oci/blob-stream'
import type { IndexEntry } from './index-entry'

/** decompressed bytes a download from a gzip/zstd layer may pass over before its file (time, CPU) */
export const MAX_SKIP_BYTES = 512 * 1024 * 1024

export class DownloadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Why an entry cannot be downloaded, or null when it can. */
export function notDownloadable(e: IndexEntry, offsetsOf: string | null): DownloadError | null {
  if (e.t === 'dir') return new DownloadError(400, 'IS_A_DIRECTORY', `${e.p} is a directory: list it with files?path=${e.p}`)
  if (e.t === 'symlink') return new DownloadError(409, 'NOT_A_REGULAR_FILE', `${e.p} is a symbolic link to ${e.l}, it has no bytes of its own`)
  if (e.t === 'hardlink') return new DownloadError(409, 'NOT_A_REGULAR_FILE', `${e.p} is a hard link to ${e.l}: download ${e.l}`)
  if (e.t !== 'file') return new DownloadError(409, 'NOT_A_REGULAR_FILE', `${e.p} is a ${e.t}, not a regular file`)
  if (offsetsOf === 'decompressed' && e.o! + e.s > MAX_SKIP_BYTES) {
    return new DownloadError(409, 'TOO_DEEP_IN_COMPRESSED_LAYER', `${e.p} lies ${Math.round(e.o! / 2 ** 20)} MiB into a compressed (gzip/zstd) layer; files are served from the first ${MAX_SKIP_BYTES / 2 ** 20} MiB of such layers only`)
  }
  return null
}

/** Content-Disposition with an ASCII fallback and the exact UTF-8 name (RFC 6266). */
export function attachmentHeader(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1) || 'file'
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

export async function sendLayerFile(services: Services, blob: { objectKey: string; mediaType: string | null }, offsetsOf: string | null, e: IndexEntry, res: Writable & { writeHead: Function }) {
  const head = () =>
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(e.s),
      'Content-Disposition': attachmentHeader(e.p),
      'Cache-Control': 'private, max-age=300',
    })
  if (offsetsOf !== 'decompressed') {
    const range = e.s > 0 ? { start: e.o!, end: e.o! + e.s - 1 } : undefined
    return streamObject(services.store, blob.objectKey, e.s, res, range, head)
  }
  const body = await services.store.read(blob.objectKey)
  head()
  if (e.s === 0) {
    body.destroy()
    res.end()
    return
  }
  const gunzip = layerDecompressor(layerCompression(blob.mediaType) ?? 'gzip')
  body.on('error', (err) => gunzip.destroy(err))
  body.pipe(gunzip)
  let at = 0
  const end = e.o! + e.s
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      const from = Math.max(e.o! - at, 0)
      const to = Math.min(end - at, chunk.length)
      at += chunk.length
      if (to > from && !res.write(chunk.subarray(from, to))) await Promise.race([once(res, 'drain'), once(res, 'close')])
      if (res.destroyed) return // the client went away
      if (at >= end) break // leaving the loop destroys the gunzip: the rest of the layer is not read
    }
  } finally {
    body.destroy()
  }
  if (at < end) throw new Error(`the layer ended ${end - at} bytes before the end of ${e.p}`)
  res.end()
}
