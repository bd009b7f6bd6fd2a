// Digests and manifest references as the API accepts them.
import { tagNameProblem } from '../registry/names'
import { OciError } from './errors'
import { REGISTRY_DIGEST, SUPPORTED_ALGORITHMS, hexLengthOf, isAlgorithm } from './digest-algorithms'

/** The digest grammar of the spec (algorithm:encoded). */
const ANY_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/

export type Reference = { kind: 'digest'; digest: string } | { kind: 'tag'; tag: string }

/** Checks a digest given by the client: a well-formed sha256 or sha512 digest, else DIGEST_INVALID. */
export function checkDigest(value: string | null | undefined, what = 'digest'): string {
  if (!value) throw new OciError('DIGEST_INVALID', `the ${what} is missing`)
  if (REGISTRY_DIGEST.test(value)) return value
  const shown = value.slice(0, 80)
  const detail = { detail: { digest: value.slice(0, 200) } }
  if (!ANY_DIGEST.test(value)) {
    throw new OciError('DIGEST_INVALID', `${what} "${shown}" is not a digest (algorithm:hex, e.g. sha256: followed by 64 lower-case hex digits)`, detail)
  }
  const algorithm = value.slice(0, value.indexOf(':'))
  if (!isAlgorithm(algorithm)) {
    throw new OciError('DIGEST_INVALID', `${what} "${shown}" uses the algorithm "${algorithm.slice(0, 40)}", which this registry does not support; use ${SUPPORTED_ALGORITHMS}`, detail)
  }
  throw new OciError('DIGEST_INVALID', `${what} "${shown}" is not a valid ${algorithm} digest (${algorithm}: followed by ${hexLengthOf(algorithm)} lower-case hex digits)`, detail)
}

/** A tag or a digest; a reference with a colon is a digest attempt. */
export function parseReference(reference: string, onInvalidTag: (problem: string) => OciError): Reference {
  if (reference.includes(':')) return { kind: 'digest', digest: checkDigest(reference) }
  const problem = tagNameProblem(reference)
  if (problem) throw onInvalidTag(problem)
  return { kind: 'tag', tag: reference }
}
