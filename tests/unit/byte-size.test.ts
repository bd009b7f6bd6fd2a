import { describe, it, expect } from 'vitest'
import { parseByteSize } from '../../components/accounts/byte-size'
import { formatBytes } from '../../lib/format'

describe('parseByteSize (the storage quota field)', () => {
  it('reads plain bytes, decimal and binary units, any case, with or without a space or B', () => {
    expect(parseByteSize('1234')).toBe(1234)
    expect(parseByteSize('10GB')).toBe(10_000_000_000)
    expect(parseByteSize('10 gb')).toBe(10_000_000_000)
    expect(parseByteSize('1.5 MB')).toBe(1_500_000)
    expect(parseByteSize('500MiB')).toBe(500 * 1024 ** 2)
    expect(parseByteSize('2G')).toBe(2_000_000_000)
    expect(parseByteSize('3 k')).toBe(3000)
  })
  it('empty means no quota; anything else is not a size', () => {
    expect(parseByteSize('  ')).toBeNull()
    for (const bad of ['ten', '-1GB', '1e9', '5 PB', '1.2.3', 'GB']) expect(parseByteSize(bad), bad).toBeNaN()
  })
  it('reads back what the form shows for a saved quota', () => {
    for (const n of [5_000_000_000, 250_000_000, 1_000]) expect(parseByteSize(formatBytes(n).replace(' ', ''))).toBe(n)
  })
})
