// Reading the fields of an account request body. Each field is checked for its type and bounds here,
// so the modules that act on them only ever see well-formed values; a bad field is a 400 that names it.
import { ApiError } from '../http/respond'
import { isRole, type Role } from '../auth/roles'
import { isTokenAccess, type TokenAccess } from '../auth/access-tokens'

/** Account bodies are a few short fields: this bounds what the server reads. */
export const MAX_ACCOUNT_BODY_BYTES = 8 * 1024

export type Body = Record<string, unknown>

export function stringField(body: Body, key: string, maxLength = 200): string {
  const v = body[key]
  if (typeof v !== 'string') throw new ApiError(400, 'FIELD_INVALID', `"${key}" must be a string`)
  if (v.length > maxLength) throw new ApiError(400, 'FIELD_INVALID', `"${key}" is longer than ${maxLength} characters`)
  return v
}

export function optionalString(body: Body, key: string, maxLength = 200): string | null {
  return body[key] === undefined || body[key] === null ? null : stringField(body, key, maxLength)
}

export function booleanField(body: Body, key: string, fallback?: boolean): boolean {
  const v = body[key]
  if (v === undefined && fallback !== undefined) return fallback
  if (typeof v !== 'boolean') throw new ApiError(400, 'FIELD_INVALID', `"${key}" must be true or false`)
  return v
}

export function roleField(body: Body, key = 'role'): Role {
  const v = body[key]
  if (!isRole(v)) throw new ApiError(400, 'ROLE_INVALID', `"${key}" must be "owner", "push" or "pull"`)
  return v
}

export function accessField(body: Body, key = 'access'): TokenAccess {
  const v = body[key]
  if (!isTokenAccess(v)) throw new ApiError(400, 'ACCESS_INVALID', `"${key}" must be "pull" or "push"`)
  return v
}

// A date, or a date and time with its zone: a time without a zone would mean the server's local time.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/

/** An expiry: null (never), or an ISO 8601 date in the future. */
export function expiryField(body: Body, key = 'expiresAt', now = Date.now()): Date | null {
  const v = body[key]
  if (v === undefined || v === null) return null
  const ms = typeof v === 'string' && ISO_DATE.test(v) ? Date.parse(v) : NaN
  if (!Number.isFinite(ms)) throw new ApiError(400, 'EXPIRY_INVALID', `"${key}" must be an ISO 8601 date (e.g. 2030-01-31 or 2030-01-31T12:00:00Z) or null`)
  if (ms <= now) throw new ApiError(400, 'EXPIRY_INVALID', `"${key}" must lie in the future`)
  return new Date(ms)
}

/** An optional limit: null (none) or a whole number from min to max. */
export function limitField(body: Body, key: string, min: number, max: number): number | null | undefined {
  const v = body[key]
  if (v === undefined) return undefined
  if (v === null) return null
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new ApiError(400, 'FIELD_INVALID', `"${key}" must be null or a whole number from ${min} to ${max}`)
  return v
}

/** Refuses fields the endpoint does not know (a typo would otherwise be silently ignored). */
export function onlyFields(body: Body, allowed: string[]) {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k))
  if (unknown.length) throw new ApiError(400, 'FIELD_UNKNOWN', `unknown field "${unknown[0].slice(0, 50)}"; this endpoint takes ${allowed.map((k) => `"${k}"`).join(', ')}`)
}
