// The digest algorithms the registry API accepts: sha256 (the default) and sha512 (OCI distribution
// spec, "digest-algorithm"). Content is stored under the digest the client named, in its algorithm, so
// the same bytes pushed as sha256 and as sha512 are two blobs. Archive imports stay sha256.
import { createHash, type Hash } from 'node:crypto'
import { OciError } from './errors'

export type DigestAlgorithm = 'sha256' | 'sha512'

/** Lower-case hex length of each algorithm's encoded part. */
const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 }

export const DIGEST_ALGORITHMS = Object.keys(HEX_LENGTH) as DigestAlgorithm[]
export const DEFAULT_ALGORITHM: DigestAlgorithm = 'sha256'

/** A digest in one of the supported algorithms. */
export const REGISTRY_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/

/** The algorithm grammar of the spec (lower-case components joined by . + _ -). */
const ALGORITHM_GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/

export const isAlgorithm = (value: string): value is DigestAlgorithm => Object.hasOwn(HEX_LENGTH, value)

/** The algorithm of a digest already checked to be a REGISTRY_DIGEST. */
export const algorithmOf = (digest: string): DigestAlgorithm => digest.slice(0, digest.indexOf(':')) as DigestAlgorithm

export const newHash = (algorithm: DigestAlgorithm): Hash => createHash(algorithm)

export const digestOf = (algorithm: DigestAlgorithm, data: Buffer | string) => `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`

export const hexLengthOf = (algorithm: DigestAlgorithm) => HEX_LENGTH[algorithm]

export const SUPPORTED_ALGORITHMS = DIGEST_ALGORITHMS.join(' or ')

/**
 * Checks an algorithm name a client asks for (`?digest-algorithm=`). An unknown one is refused here, when
 * the upload starts, so a client never sends a whole layer only to learn it cannot be stored.
 */
export function checkAlgorithm(value: string, what = 'digest-algorithm'): DigestAlgorithm {
  if (isAlgorithm(value)) return value
  const shown = JSON.stringify(value.slice(0, 40))
  const message = ALGORITHM_GRAMMAR.test(value)
    ? `${what} ${shown} is not supported by this registry; use ${SUPPORTED_ALGORITHMS}`
    : `${what} ${shown} is not a digest algorithm; use ${SUPPORTED_ALGORITHMS}`
  throw new OciError('DIGEST_INVALID', message, { detail: { algorithm: value.slice(0, 200), supported: DIGEST_ALGORITHMS } })
}
