// Walks the tar stream once, as it arrives. Small files and JSON documents stay in memory (bounded);
// everything else is streamed straight into the object store by `stage`. Nothing is trusted yet:
// the layout step verifies what the entries claim to be.
import tar from 'tar-stream'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ImportError } from './import-error'
import { normalizeEntryPath, resolveSymlinkTarget } from './archive-path'
import { looksLikeJson } from './bounded-json'
import { detectCompression } from './compression'
import { ArchiveMessage } from './archive-messages'
import { deadStreamError } from './stream-head'
import type { StagedBlob } from './staged-blob'
import type { Limits } from '../config'

export type ArchiveEntry =
  | { kind: 'doc'; path: string; bytes: Buffer; entryBytes: number }
  | { kind: 'blob'; path: string; staged: StagedBlob; entryBytes: number }
  | { kind: 'symlink' | 'hardlink'; path: string; target: string }
  | { kind: 'special'; path: string; type: string }

export type ArchiveContents = {
  entries: Map<string, ArchiveEntry>
  entryCount: number
}

/**
 * `before`: the reader's state before this entry (valid while its body is being read: a resumable
 * import checkpoints inside the entry with it); `size`: the entry's size from its header.
 */
export type Stager = (body: Readable, entryName: string, at: { before: ReaderState; size: number }) => Promise<StagedBlob>

/** What the reader has read so far: a resumed import (lib/resumable) starts from it. */
export type ReaderState = { entries: Map<string, ArchiveEntry>; count: number; memory: number }

export type ReaderHooks = {
  /** entries already read before the input's first byte (the input starts at a tar header) */
  seed?: ReaderState
  /** called at each entry boundary, with every entry before it complete (read synchronously: it changes) */
  onEntry?: (state: ReaderState) => void
}

/** Files known to be archive metadata: always JSON, always held in memory, size-checked from the header. */
const METADATA_FILES = new Set(['manifest.json', 'index.json', 'repositories', 'oci-layout'])
/** Regular files up to this size are kept in memory (tiny layers, VERSION, legacy json)... */
export const SMALL_ENTRY_BYTES = 64 * 1024
/** ...as long as all in-memory entries together stay under this budget. */
export const MEMORY_BUDGET_BYTES = 64 * 1024 * 1024

/** Bytes an entry occupies in a tar stream: one header block plus data padded to 512. */
export const tarEntryBytes = (size: number) => 512 + Math.ceil(size / 512) * 512

export async function readArchive(input: Readable, limits: Limits, stage: Stager, hooks: ReaderHooks = {}): Promise<ArchiveContents> {
  const entries = new Map<string, ArchiveEntry>(hooks.seed?.entries ?? [])
  const extract = tar.extract()
  let current: Readable | null = null
  const feeding = pipeline(input, extract)
  // A broken or truncated input must also fail the entry being streamed right now: its consumer
  // (an S3 upload) would otherwise wait for bytes that never come.
  feeding.catch((e) => current?.destroy(e))
  let count = hooks.seed?.count ?? 0
  let memory = hooks.seed?.memory ?? 0

  try {
    for await (const tarEntry of extract) {
      hooks.onEntry?.({ entries, count, memory })
      // tar-stream entries are streamx readables, whose pause/unshift/end semantics differ from Node's:
      // wrap each in a Node Readable (backpressure is kept through async iteration).
      const entry = Readable.from(tarEntry as AsyncIterable<Buffer>, { objectMode: false, highWaterMark: 1024 * 1024 })
      current = entry
      // The archive may break while nobody reads this entry yet (we may be awaiting the database):
      // keep the error on the stream (readers check deadStreamError) instead of crashing the process.
      tarEntry.on('error', (e: Error) => entry.destroy(e))
      entry.on('error', () => {})
      const h = tarEntry.header
      if (++count > limits.maxEntries) {
        throw new ImportError('TOO_MANY_ENTRIES', `the archive has more than ${limits.maxEntries} entries; a docker save archive has a few per layer`)
      }
      const path = normalizeEntryPath(h.name)
      if (h.type === 'directory' || path === '') {
        entry.resume()
        await finished(entry)
        continue
      }
      if (entries.has(path)) {
        entry.resume()
        throw new ImportError('DUPLICATE_ENTRY', ArchiveMessage.duplicateEntry(path))
      }
      if (h.type === 'symlink') {
        entries.set(path, { kind: 'symlink', path, target: resolveSymlinkTarget(path, h.linkname ?? '') })
      } else if (h.type === 'link') {
        entries.set(path, { kind: 'hardlink', path, target: normalizeEntryPath(h.linkname ?? '') })
      } else if (h.type === 'file' || h.type === 'contiguous-file') {
        const size = h.size ?? 0
        if (METADATA_FILES.has(path)) {
          if (size > limits.maxJsonBytes) {
            throw new ImportError('JSON_TOO_LARGE', ArchiveMessage.jsonTooLarge(path, size, limits.maxJsonBytes), 413)
          }
          memory = reserve(memory, size)
          entries.set(path, { kind: 'doc', path, bytes: await collect(entry, size), entryBytes: tarEntryBytes(size) })
          continue
        }
        if (size > limits.maxLayerBytes) {
          throw new ImportError('LAYER_TOO_LARGE', `archive entry "${path}" is ${size} bytes; layers are limited to ${limits.maxLayerBytes} bytes`, 413)
        }
        entries.set(path, await readFileEntry(entry, path, size))
        continue
      } else {
        // devices, fifos: remembered so a manifest pointing at one gets a precise error
        entries.set(path, { kind: 'special', path, type: h.type ?? 'unknown' })
      }
      entry.resume()
      await finished(entry)
    }
    await feeding
  } catch (e) {
    extract.destroy()
    input.destroy()
    throw translateTarError(e, count)
  }
  if (count === 0) throw new ImportError('NOT_A_TAR', ArchiveMessage.noEntries)
  return { entries, entryCount: count }

  async function readFileEntry(entry: Readable, path: string, size: number): Promise<ArchiveEntry> {
    const small = size <= SMALL_ENTRY_BYTES
    const fitsJson = size <= limits.maxJsonBytes
    if ((small || fitsJson) && memory + size <= MEMORY_BUDGET_BYTES) {
      // Buffer it only if it is small, or if it turns out to be JSON (a config); compressed data is always streamed.
      const first = await firstChunk(entry)
      if (first === null) return { kind: 'doc', path, bytes: Buffer.alloc(0), entryBytes: tarEntryBytes(0) }
      const compressed = detectCompression(first) !== 'none'
      if (!compressed && (small || looksLikeJson(first))) {
        memory = reserve(memory, size)
        const rest = await collect(entry, size - first.length)
        return { kind: 'doc', path, bytes: Buffer.concat([first, rest]), entryBytes: tarEntryBytes(size) }
      }
      entry.unshift(first)
    }
    const before = { entries, count: count - 1, memory }
    return { kind: 'blob', path, staged: await stage(entry, path, { before, size }), entryBytes: tarEntryBytes(size) }
  }
}

function reserve(used: number, size: number) {
  if (used + size > MEMORY_BUDGET_BYTES) {
    throw new ImportError('METADATA_TOO_LARGE', `the archive's metadata files exceed ${MEMORY_BUDGET_BYTES} bytes in total`, 413)
  }
  return used + size
}

function firstChunk(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const dead = deadStreamError(stream)
    if (dead) return reject(dead)
    const done = (value: Buffer | null, err?: Error) => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onClose)
      stream.pause()
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (c: Buffer) => done(c)
    const onEnd = () => done(null)
    const onError = (e: Error) => done(null, e)
    const onClose = () => (stream.readableEnded ? done(null) : done(null, deadStreamError(stream) ?? new Error('stream closed before its end')))
    stream.on('data', onData)
    stream.once('end', onEnd)
    stream.once('error', onError)
    stream.once('close', onClose)
  })
}

async function collect(stream: Readable, expected: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of stream) {
    chunks.push(c)
    n += c.length
  }
  if (n !== expected) throw new ImportError('TRUNCATED', `archive ended inside an entry (${n} of ${expected} bytes)`)
  return Buffer.concat(chunks)
}

function finished(stream: Readable) {
  return new Promise<void>((resolve, reject) => {
    if (stream.readableEnded) return resolve()
    stream.once('end', () => resolve())
    stream.once('error', reject)
  })
}

function translateTarError(e: unknown, count: number): unknown {
  if (e instanceof ImportError) return e
  const msg = String((e as Error)?.message ?? e)
  // tar-stream refuses pax and GNU long-name headers above 4 MiB before buffering them: that is the
  // archive's fault, not the server's.
  if (/Header exceeds max size/i.test(msg)) {
    return new ImportError(
      'HEADER_TOO_LARGE',
      `entry ${count + 1} of the archive has an extended (pax or long-name) header larger than 4 MiB; real ones hold a few paths and numbers`,
      413,
    )
  }
  // Input that ends before one complete tar header (512 bytes) was never a tar: 100 random bytes
  // are "not a tar archive", not a truncated one.
  if (count === 0 && /Unexpected end of data/i.test(msg)) {
    return new ImportError('NOT_A_TAR', 'the upload is not a tar archive: it ends before one complete tar header (make it with `docker save -o image.tar repo:tag`)')
  }
  if (/Unexpected end of data/i.test(msg) || (e as any)?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg)) {
    return new ImportError('TRUNCATED', ArchiveMessage.truncated(count))
  }
  if (/Invalid tar header|Invalid header|unknown format/i.test(msg)) {
    return count <= 1
      ? new ImportError('NOT_A_TAR', ArchiveMessage.notATar)
      : new ImportError('NOT_A_TAR', ArchiveMessage.corruptHeader(count))
  }
  if ((e as any)?.code?.startsWith?.('Z_')) return new ImportError('CORRUPT_COMPRESSION', `the archive's compression is corrupt: ${msg}`)
  return e
}
