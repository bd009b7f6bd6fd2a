// Checkpoints of a resumable import, saved in the database at tar entry boundaries (the archive offset
// of the next tar header) and, inside an uncompressed layer, at each stored part of its multipart upload
// (the offset right after that part, with the upload id and the parts' ETags), with every entry read
// before (staged layers by key and digest, small documents inline). After a restart, an import resumed
// from a checkpoint first finishes the layer it was inside (lib/resumable/layer-resume.ts), then starts a
// fresh tar parser at the next header, seeded with these entries; the bytes before it are never needed again.
import type { Services } from '../services'
import type { ArchiveEntry, ReaderState } from '../archive/archive-reader'
import type { StagedBlob } from '../archive/staged-blob'

/** Documents kept inline in one checkpoint, at most; an archive with more metadata resumes from an older checkpoint. */
export const MAX_INLINE_BYTES = 8 * 1024 * 1024
/**
 * An archive with many entries is checkpointed at most this often (each checkpoint serializes every
 * entry); a usual one (tens of entries) at every boundary, so the one before a big layer is never skipped.
 */
const MIN_INTERVAL_MS = 250
const THROTTLE_FROM_ENTRIES = 1000

type SavedEntry =
  | { kind: 'doc'; path: string; bytes: string; entryBytes: number }
  | { kind: 'blob'; path: string; staged: Omit<StagedBlob, 'written'>; entryBytes: number }
  | Exclude<ArchiveEntry, { kind: 'doc' } | { kind: 'blob' }>

/** The layer a checkpoint is inside of: its first `bytes` are stored as the multipart upload's parts. */
export type LayerCheckpoint = {
  path: string
  /** the staged key the multipart upload assembles into */
  key: string
  /** the entry's size (tar header) and the archive offset of its first data byte */
  size: number
  dataStart: number
  /** bytes of the entry stored: whole parts, so the checkpoint's offset is dataStart + bytes */
  bytes: number
  uploadId: string
  parts: { partNumber: number; etag: string }[]
}

type SavedReader = { v: 1; count: number; memory: number; entries: SavedEntry[]; layer?: LayerCheckpoint }

export type ResumePoint = { offset: number; reader: ReaderState; layer?: LayerCheckpoint }

/** The entries as JSON, and the writes that must have finished before the JSON may be saved; null if too large. */
export function serializeReader(state: ReaderState, layer?: LayerCheckpoint): { json: string; writes: Promise<void>[] } | null {
  const entries: SavedEntry[] = []
  const writes: Promise<void>[] = []
  let inline = 0
  for (const e of state.entries.values()) {
    if (e.kind === 'doc') {
      inline += e.bytes.length
      if (inline > MAX_INLINE_BYTES) return null
      entries.push({ kind: 'doc', path: e.path, bytes: e.bytes.toString('base64'), entryBytes: e.entryBytes })
    } else if (e.kind === 'blob') {
      const { written, ...staged } = e.staged
      writes.push(written)
      entries.push({ kind: 'blob', path: e.path, staged, entryBytes: e.entryBytes })
    } else entries.push(e)
  }
  const saved: SavedReader = { v: 1, count: state.count, memory: state.memory, entries, ...(layer ? { layer } : {}) }
  return { json: JSON.stringify(saved), writes }
}

export function deserializeReader(json: string): ReaderState {
  return deserializeCheckpoint(json).reader
}

/** The entries of a saved checkpoint, and the layer it is inside of (if it is). */
export function deserializeCheckpoint(json: string): { reader: ReaderState; layer?: LayerCheckpoint } {
  const saved = JSON.parse(json) as SavedReader
  if (saved.v !== 1) throw new Error(`unknown checkpoint version ${String(saved.v)}`)
  const entries = new Map<string, ArchiveEntry>()
  for (const e of saved.entries) {
    if (e.kind === 'doc') entries.set(e.path, { ...e, bytes: Buffer.from(e.bytes, 'base64') })
    else if (e.kind === 'blob') entries.set(e.path, { ...e, staged: { ...e.staged, written: Promise.resolve() } })
    else entries.set(e.path, e)
  }
  return { reader: { entries, count: saved.count, memory: saved.memory }, ...(saved.layer ? { layer: saved.layer } : {}) }
}

/**
 * Saves the newest checkpoint once the layers it names are in the store, one save at a time (a newer
 * one replaces a waiting one). Saves are best effort: a failed one leaves the previous checkpoint.
 */
export class CheckpointRecorder {
  private pending: { offset: number; json: string; writes: Promise<void>[] } | null = null
  private saving: Promise<void> | null = null
  private lastAt = 0
  private lastCount = -1
  /** the offset of the newest saved checkpoint */
  savedOffset = 0

  constructor(
    private readonly services: Services,
    private readonly id: string,
  ) {}

  record(offset: number, state: ReaderState) {
    if (state.count === this.lastCount) return
    if (this.save(offset, state)) this.lastCount = state.count
  }

  /** Inside a layer: `state` is the reader's before the layer, `layer.bytes` of it are stored parts. */
  recordLayer(offset: number, state: ReaderState, layer: LayerCheckpoint) {
    this.save(offset, state, layer)
  }

  private save(offset: number, state: ReaderState, layer?: LayerCheckpoint) {
    const now = Date.now()
    if (state.entries.size > THROTTLE_FROM_ENTRIES && now - this.lastAt < MIN_INTERVAL_MS) return false
    const s = serializeReader(state, layer)
    if (!s) return false
    this.lastAt = now
    this.pending = { offset, ...s }
    this.saving ??= this.drain()
    return true
  }

  /** Resolves when no save is running. */
  async settled() {
    while (this.saving) await this.saving
  }

  private async drain() {
    try {
      while (this.pending) {
        const next = this.pending
        this.pending = null
        try {
          await Promise.all(next.writes)
          await this.services.db.resumableUpload.update({
            where: { id: this.id },
            data: { checkpointOffset: BigInt(next.offset), checkpoint: next.json, updatedAt: new Date() },
          })
          this.savedOffset = next.offset
        } catch {
          // a failed layer write fails the import itself; a failed save keeps the previous checkpoint
        }
      }
    } finally {
      this.saving = null
    }
  }
}
