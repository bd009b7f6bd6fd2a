// HTTP Range for blob downloads, decided here from the blob's known size: the object store only ever
// sees an explicit "bytes=start-end" (s3rver answers suffix ranges and "bytes=0-0" wrongly).
export type RangeDecision = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' }

/**
 * One byte range (inclusive) of a blob of `size` bytes. A header we do not understand, or several ranges,
 * is ignored (the whole blob is sent), as RFC 9110 allows.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (!header) return { kind: 'full' }
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' }
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(m[1])
  const last = m[2] === '' ? Infinity : Number(m[2])
  if (last < start) return { kind: 'full' } // syntactically invalid: ignore the header
  if (start >= size) return { kind: 'unsatisfiable' }
  return { kind: 'partial', start, end: Math.min(last, size - 1) }
}

/**
 * Content-Range of an upload chunk. The spec writes "<start>-<end>"; some clients send the HTTP form
 * "bytes <start>-<end>/<total>". Returns null when the header is not a range at all.
 */
export function parseChunkRange(header: string | undefined): { start: number; end: number } | null {
  if (!header) return null
  const m = /^\s*(?:bytes[ =])?\s*(\d+)-(\d+)(?:\/(?:\d+|\*))?\s*$/i.exec(header)
  if (!m) return null
  return { start: Number(m[1]), end: Number(m[2]) }
}
