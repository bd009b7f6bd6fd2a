// Digests and manifest references as the API accepts them.
import { DIGEST, tagNameProblem } from '../registry/names'
import { OciError } from './errors'

/** The digest grammar of the spec (algorithm:encoded); only sha256 is stored here. */
const ANY_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/

export type Reference = { kind: 'digest'; digest: string } | { kind: 'tag'; tag: string }

/** Checks a digest given by the client; anything but a well-formed sha256 digest is DIGEST_INVALID. */
export function checkDigest(value: string | null | undefined, what = 'digest'): string {
  if (!value) throw new OciError('DIGEST_INVALID', `the ${what} is missing`)
  if (DIGEST.test(value)) return value
  if (ANY_DIGEST.test(value) && !value.startsWith('sha256:')) {
    throw new OciError('DIGEST_INVALID', `${what} "${value.slice(0, 80)}" uses an algorithm this registry does not support; use sha256`, { detail: { digest: value } })
  }
  throw new OciError('DIGEST_INVALID', `${what} "${value.slice(0, 80)}" is not a valid sha256 digest (sha256: followed by 64 lower-case hex digits)`, {
    detail: { digest: value },
  })
}

/** A tag or a digest; a reference with a colon is a digest attempt. */
export function parseReference(reference: string, onInvalidTag: (problem: string) => OciError): Reference {
  if (reference.includes(':')) return { kind: 'digest', digest: checkDigest(reference) }
  const problem = tagNameProblem(reference)
  if (problem) throw onInvalidTag(problem)
  return { kind: 'tag', tag: reference }
}
