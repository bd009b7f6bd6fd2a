// Typed fetches against the console API. The response types are derived from the server's read
// models (type-only imports: nothing from lib/ that touches Node reaches the browser bundle).
import type { listRepositories, listTags, getTagDetail, getManifestDetail } from '@/lib/registry/queries'
import type { ImportResult } from '@/lib/archive/import-archive'
import type { getImageByDigest } from '@/lib/console/image-by-digest'
import type { listUntaggedImages } from '@/lib/console/untagged-images'

/** What JSON.stringify makes of a value: Dates become strings, BigInts numbers. */
type Jsonified<T> = T extends Date
  ? string
  : T extends bigint
    ? number
    : T extends (infer U)[]
      ? Jsonified<U>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T

export type RepositoryPage = Jsonified<Awaited<ReturnType<typeof listRepositories>>>
export type RepositorySummary = RepositoryPage['repositories'][number]
export type TagList = Jsonified<NonNullable<Awaited<ReturnType<typeof listTags>>>>
export type TagSummary = TagList['tags'][number]
/** GET .../tags/<tag>: an image (TagDetail) or a multi-platform image index (IndexDetail). */
export type TagAnswer = Jsonified<NonNullable<Awaited<ReturnType<typeof getTagDetail>>>>
export type TagDetail = Extract<TagAnswer, { kind: 'image' }>
export type IndexDetail = Extract<TagAnswer, { kind: 'index' }>
/** GET .../digests/<digest>: one manifest by digest (a platform image has no tag). */
export type ManifestDetail = Jsonified<NonNullable<Awaited<ReturnType<typeof getManifestDetail>>>>
export type LayerDetail = TagDetail['layers'][number]
export type Sizes = TagDetail['sizes']
export type UploadResult = Jsonified<ImportResult>
export type ImageByDigest = Extract<Jsonified<Awaited<ReturnType<typeof getImageByDigest>>>, { found: true }>
export type UntaggedImages = Jsonified<NonNullable<Awaited<ReturnType<typeof listUntaggedImages>>>>

export const putTagRequest = (url: string, digest: string) =>
  apiRequest<{ status: string; previousDigest: string | null }>(url, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ digest }) })

/** An error answer of the API ({error:{code,message}}), or a network failure (status 0). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiFailure'
  }
}

/** Reads an `{error:{code,message}}` body; falls back to the HTTP status when the body is something else. */
export function failureFrom(status: number, bodyText: string): ApiFailure {
  try {
    const body = JSON.parse(bodyText)
    if (body?.error?.code) return new ApiFailure(status, String(body.error.code), String(body.error.message ?? body.error.code))
  } catch {
    // not JSON: a proxy's error page, say
  }
  return new ApiFailure(status, `HTTP_${status}`, `the server answered ${status}${bodyText ? `: ${bodyText.slice(0, 200)}` : ''}`)
}

export async function apiRequest<T>(url: string, init: RequestInit = {}): Promise<T> {
  let res: Response
  try {
    res = await fetch(url, { cache: 'no-store', ...init, headers: { Accept: 'application/json', ...init.headers } })
  } catch {
    throw new ApiFailure(0, 'NETWORK', 'the server cannot be reached; check your connection and try again')
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  if (!res.ok) throw failureFrom(res.status, text)
  return JSON.parse(text) as T
}

export const deleteTagRequest = (url: string) => apiRequest<void>(url, { method: 'DELETE' })
