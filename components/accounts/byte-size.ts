// A storage quota as people type it ("10GB", "500 MiB", "1234"): decimal units as lib/format.ts
// shows them, binary ones when asked for with "i".
const UNITS: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 }

/** "10GB", "500 MiB", "1234" → bytes; null for empty; NaN for anything else. */
export function parseByteSize(text: string): number | null {
  const t = text.trim()
  if (!t) return null
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?$/i.exec(t)
  if (!m) return NaN
  let unit = (m[2] ?? '').toUpperCase()
  if (unit && !unit.endsWith('B')) unit += 'B'
  const factor = UNITS[unit]
  return factor ? Math.round(Number(m[1]) * factor) : NaN
}

