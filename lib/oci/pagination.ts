// `n`/`last` pagination of tag lists and the catalog, with the RFC 5988 Link header to the next page.
import { OciError } from './errors'

export type Page = { n: number | null; last: string | null }

/** Most entries in one answer, whatever `n` asks for (the Link header leads to the rest). */
export const MAX_PAGE = 1000

export function parsePage(url: URL): Page {
  const rawN = url.searchParams.get('n')
  const last = url.searchParams.get('last') || null
  if (rawN === null || rawN === '') return { n: null, last }
  if (!/^\d+$/.test(rawN)) throw new OciError('UNSUPPORTED', `n=${rawN.slice(0, 20)} is not a non-negative integer`, { status: 400, detail: { n: rawN } })
  return { n: Math.min(Number(rawN), MAX_PAGE), last }
}

/**
 * The entries after `last` (names sorted in code-point order), at most `n` (or `defaultSize` when the
 * client gave no n); `more` tells whether entries remain after this page.
 */
export function paginate(sorted: string[], page: Page, defaultSize: number | null): { items: string[]; more: boolean } {
  const from = page.last === null ? 0 : firstAfter(sorted, page.last)
  const size = page.n ?? defaultSize
  const rest = sorted.slice(from)
  if (size === null || rest.length <= size) return { items: rest, more: false }
  return { items: rest.slice(0, size), more: size > 0 }
}

function firstAfter(sorted: string[], last: string) {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid] <= last) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Code-point order, the order the spec's "lexical" pagination needs (not the database's collation). */
export const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export function nextLink(path: string, n: number, last: string) {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`
}
