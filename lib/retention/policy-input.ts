// The body of PUT …/retention: checked field by field so the policy code only sees well-formed rules,
// and a mistake is a 400 that names the field and the allowed range.
import { ApiError } from '../http/respond'
import { onlyFields, type Body } from '../accounts/input'
import { globProblem, MAX_GLOB_LENGTH } from './glob'

export const MAX_KEEP_LATEST = 100_000
export const MAX_UNTAGGED_DAYS = 36_500
export const POLICY_FIELDS = ['keepLatest', 'keepPattern', 'untaggedDays', 'enabled']

/** A policy's rules; null = the rule is not set. */
export type PolicyRules = { keepLatest: number | null; keepPattern: string | null; untaggedDays: number | null; enabled: boolean }

const invalid = (message: string) => new ApiError(400, 'POLICY_INVALID', message)

function wholeNumber(body: Body, key: string, max: number, meaning: string): number | null {
  const v = body[key]
  if (v === undefined || v === null) return null
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw invalid(`"${key}" (${meaning}) must be a whole number from 0 to ${max}, or null; got ${JSON.stringify(v)?.slice(0, 40)}`)
  }
  return v
}

/** Reads a policy body; a PUT replaces the whole policy, so a field left out is a rule not set (enabled: true). */
export function parsePolicyRules(body: Body): PolicyRules {
  onlyFields(body, POLICY_FIELDS)
  const keepLatest = wholeNumber(body, 'keepLatest', MAX_KEEP_LATEST, 'how many of the most recently updated tags to keep')
  const untaggedDays = wholeNumber(body, 'untaggedDays', MAX_UNTAGGED_DAYS, 'days after which an untagged manifest is deleted')
  let keepPattern: string | null = null
  if (body.keepPattern !== undefined && body.keepPattern !== null) {
    if (typeof body.keepPattern !== 'string') throw invalid('"keepPattern" must be a string (a glob over tag names such as "release-*"), or null')
    if (body.keepPattern.length > MAX_GLOB_LENGTH) throw invalid(`"keepPattern" is longer than ${MAX_GLOB_LENGTH} characters`)
    if (body.keepPattern === '') throw invalid('"keepPattern" is empty; leave it out (or null) to protect no tag by name')
    const problem = globProblem(body.keepPattern)
    if (problem) throw invalid(`"keepPattern" is not a valid glob: ${problem}`)
    keepPattern = body.keepPattern
  }
  let enabled = true
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== 'boolean') throw invalid('"enabled" must be true or false')
    enabled = body.enabled
  }
  if (keepPattern !== null && keepLatest === null) {
    throw invalid('"keepPattern" protects tags from the "keepLatest" rule: set "keepLatest" too (0 keeps only the tags that match the pattern)')
  }
  if (keepLatest === null && untaggedDays === null) {
    throw invalid('a policy needs at least one rule: "keepLatest" (keep the N most recently updated tags, delete the others) or "untaggedDays" (delete manifests untagged for more than N days)')
  }
  return { keepLatest, keepPattern, untaggedDays, enabled }
}
