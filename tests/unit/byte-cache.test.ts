// The pull path's bounded LRU of bytes by digest (lib/oci/byte-cache.ts): pure logic.
import { describe, it, expect } from 'vitest'
import { ByteCache } from '../../lib/oci/byte-cache'

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill)

describe('ByteCache', () => {
  it('keeps the total under its bound, dropping the least recently used first', () => {
    const c = new ByteCache(100, 60)
    c.set('a', bytes(40))
    c.set('b', bytes(40))
    expect(c.get('a')?.length).toBe(40) // a is now the most recent
    c.set('c', bytes(40)) // 120 > 100: b goes
    expect([c.has('a'), c.has('b'), c.has('c')]).toEqual([true, false, true])
    expect(c.stats()).toMatchObject({ entries: 2, bytes: 80, hits: 1, misses: 0 })
    expect(c.get('b')).toBeUndefined()
    expect(c.stats().misses).toBe(1)
  })

  it('never keeps a value over the entry bound, and replaces a key without counting it twice', () => {
    const c = new ByteCache(100, 60)
    c.set('big', bytes(61))
    expect(c.has('big')).toBe(false)
    c.set('a', bytes(30, 1))
    c.set('a', bytes(50, 2))
    expect(c.stats()).toMatchObject({ entries: 1, bytes: 50 })
    expect(c.get('a')?.[0]).toBe(2)
  })

  it('forgets a key, and a zero bound keeps nothing', () => {
    const c = new ByteCache(100, 60)
    c.set('a', bytes(10))
    c.forget('a')
    c.forget('missing')
    expect(c.stats()).toMatchObject({ entries: 0, bytes: 0 })
    const off = new ByteCache(0, 60)
    off.set('a', bytes(1))
    expect(off.has('a')).toBe(false)
  })
})

describe('blob cache settings', async () => {
  const { blobCacheSettings } = await import('../../lib/oci/read-queries')
  it('reads STOWAGE_BLOB_CACHE_MB / _MAX_KB and refuses what is not a whole number in range', () => {
    expect(blobCacheSettings({})).toEqual({ maxBytes: 64 * 2 ** 20, maxEntryBytes: 1024 * 1024 })
    expect(blobCacheSettings({ STOWAGE_BLOB_CACHE_MB: '0', STOWAGE_BLOB_CACHE_MAX_KB: '16' })).toEqual({ maxBytes: 0, maxEntryBytes: 16 * 1024 })
    expect(() => blobCacheSettings({ STOWAGE_BLOB_CACHE_MB: '-1' })).toThrow(/STOWAGE_BLOB_CACHE_MB must be a whole number from 0 to 16384, not "-1"/)
    expect(() => blobCacheSettings({ STOWAGE_BLOB_CACHE_MAX_KB: '1.5' })).toThrow(/STOWAGE_BLOB_CACHE_MAX_KB/)
  })
})
