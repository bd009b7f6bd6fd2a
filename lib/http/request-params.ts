// Reading the caller's parts of a console API request (path segments, page numbers). A malformed one is
// the caller's mistake: 400 with a message that names the parameter, never a 500 from deeper down.
import { ApiError } from './respond'

/** Highest page number accepted: far beyond any real list, low enough that (page - 1) × pageSize is exact. */
export const MAX_PAGE_NUMBER = 1_000_000
export const MAX_PAGE_SIZE = 100

/** A percent-encoded path segment (repository name, tag), decoded; a malformed escape such as %ZZ is a 400. */
export function decodePathSegment(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    const escape = /%(?![0-9a-fA-F]{2})[^/]{0,2}/.exec(raw)?.[0] ?? raw.slice(0, 40)
    throw new ApiError(400, 'PATH_INVALID', `the ${what} in the path has a malformed percent-escape ("${escape}"): write % as %25`)
  }
}

/**
 * An optional positive whole-number query parameter (page, pageSize): absent or empty gives the default;
 * anything else must be written in digits and lie within 1..max.
 */
export function positiveIntParam(url: URL, name: string, fallback: number, max: number): number {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === '') return fallback
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN
  if (!(value >= 1 && value <= max)) {
    throw new ApiError(400, 'PAGE_INVALID', `${name} must be a whole number from 1 to ${max} (got "${raw.slice(0, 40)}")`)
  }
  return value
}
