// A bounded least-recently-used map from a digest to the bytes it names. Only content-addressed data
// goes in (a digest names exactly one byte string), so an entry can never be stale; whether the
// repository still holds that digest is asked of the database on every request (read-queries.ts).
// Deletes still forget the digest (forget), so deleted content does not linger in memory.

export type ByteCacheStats = { entries: number; bytes: number; hits: number; misses: number }

export class ByteCache {
  // a Map iterates in insertion order: re-inserting on a hit keeps the oldest entry first
  private readonly entries = new Map<string, Buffer>()
  private bytes = 0
  private hits = 0
  private misses = 0

  /** `maxBytes`: the sum of the cached values' sizes; `maxEntryBytes`: larger values are never cached. */
  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes: number,
  ) {}

  get(key: string): Buffer | undefined {
    const value = this.entries.get(key)
    if (value === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  /** Whether the key is cached, without counting a hit or changing the order. */
  has(key: string): boolean {
    return this.entries.has(key)
  }

  set(key: string, value: Buffer) {
    if (value.length > this.maxEntryBytes || value.length > this.maxBytes) return
    this.forget(key)
    this.entries.set(key, value)
    this.bytes += value.length
    for (const [oldest, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(oldest)
      this.bytes -= v.length
    }
  }

  forget(key: string) {
    const value = this.entries.get(key)
    if (value === undefined) return
    this.entries.delete(key)
    this.bytes -= value.length
  }

  stats(): ByteCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hits, misses: this.misses }
  }
}
