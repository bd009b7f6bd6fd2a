// GET /api/repositories/{name}/compare (contract-13.md) and the headline sentence made from it.
import { formatBytes } from '../../lib/format'

/** null: a size not measured yet (an image pushed compressed whose uncompressed size is still being measured) */
export type SizePair = { from: number | null; to: number | null; delta: number | null }

export type Comparison = {
  from: { reference: string; digest: string }
  to: { reference: string; digest: string }
  layers: { shared: string[]; added: string[]; removed: string[] }
  sizes: { uncompressed: SizePair; compressed: SizePair | null; packed?: SizePair | null }
  files: { added: number; removed: number; changed: number; total: number }
  changes: { path: string; change: 'added' | 'removed' | 'changed'; fromSize: number | null; toSize: number | null; delta: number; fromMode?: number; toMode?: number }[]
  page: number
  pageSize: number
  biggestDirectories: { path: string; delta: number }[]
}

const direction = (delta: number) => (delta > 0 ? 'bigger' : 'smaller')
const amount = (delta: number, measure: string) => (delta === 0 ? `the same size ${measure}` : `${formatBytes(Math.abs(delta))} ${direction(delta)} ${measure}`)

/**
 * "v2 is 48 MB bigger uncompressed, 12 MB compressed, because of /usr/lib (+45 MB)": the uncompressed
 * and compressed deltas, and the directory that moved most in the same direction.
 */
export function compareHeadline(c: Pick<Comparison, 'to' | 'sizes' | 'biggestDirectories'>): string {
  const u = c.sizes.uncompressed.delta
  if (u === null) return `${c.to.reference}: its sizes are still being measured.`
  const parts = [amount(u, 'uncompressed')]
  const z = c.sizes.compressed
  if (z && z.delta !== null) parts.push(z.delta === 0 ? 'the same compressed' : Math.sign(z.delta) === Math.sign(u) ? `${formatBytes(Math.abs(z.delta))} compressed` : `${formatBytes(Math.abs(z.delta))} ${direction(z.delta)} compressed`)
  const cause = mainCause(c.biggestDirectories, u)
  const because = cause && u !== 0 ? `, because of /${cause.path.replace(/^\/+/, '')} (${signedBytes(cause.delta)})` : ''
  return `${c.to.reference} is ${parts.join(', ')}${because}.`
}

/**
 * The directory that moved most in the direction of `delta`; then its deepest subdirectory that holds
 * most (80 %) of that change: "/usr/lib/python3" says more than "/usr" when the change is all there.
 */
function mainCause(dirs: { path: string; delta: number }[], delta: number) {
  const same = dirs.filter((d) => d.delta !== 0 && Math.sign(d.delta) === Math.sign(delta))
  const top = same[0]
  if (!top) return undefined
  const inside = same.filter((d) => (d.path === top.path || d.path.startsWith(`${top.path}/`)) && Math.abs(d.delta) >= 0.8 * Math.abs(top.delta))
  return inside.reduce((deepest, d) => (d.path.split('/').length > deepest.path.split('/').length ? d : deepest), top)
}

export const signedBytes = (delta: number) => (delta > 0 ? '+' : delta < 0 ? '−' : '±') + formatBytes(Math.abs(delta))
