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
 * One page of names after `page.last`, read by `query(after, limit)` in byte order: at most `n` (or
 * `defaultSize` when the client gave no n; null = all). One row more than the page is asked for, to tell
 * whether entries remain after it (`more`) without counting them.
 */
export async function pageOfNames(page: Page, defaultSize: number | null, query: (after: string | null, limit: number | null) => Promise<{ name: string }[]>): Promise<{ items: string[]; more: boolean }> {
  const size = page.n ?? defaultSize
  if (size === 0) return { items: [], more: false }
  const rows = await query(page.last, size === null ? null : size + 1)
  const names = rows.map((r) => r.name)
  if (size === null || names.length <= size) return { items: names, more: false }
  return { items: names.slice(0, size), more: true }
}

/** Code-point order, the order the spec's "lexical" pagination needs (not the database's collation). */
export const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export function nextLink(path: string, n: number, last: string) {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`
}
