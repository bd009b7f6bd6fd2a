// PUT /api/repositories/{name}/tags/{tag} {"digest":"sha256:…"}: points the tag at a manifest the
// repository already holds (the console's "point the tag back here"). Thin: read, validate, call lib/;
// the route (repository-routes.ts) authorizes, audits and answers.
import type { ApiCtx } from './api-routes'
import { ApiError } from './respond'
import { tagNameProblem } from '../registry/names'
import { REGISTRY_DIGEST } from '../oci/digest-algorithms'
import { pointTagAtDigest } from '../registry/point-tag'
import { readJsonBody } from './json-body'

/** The body is one small JSON object; anything longer is not what this endpoint takes. */
export const MAX_TAG_BODY_BYTES = 4096

/** Reads the body and moves the tag; answers what moved (the digest, the previous one, created/updated/unchanged). */
export async function pointTag({ services, req }: ApiCtx, repository: string, tag: string) {
  const tagProblem = tagNameProblem(tag)
  if (tagProblem) throw new ApiError(400, 'TAG_INVALID', tagProblem)
  const body = await readJsonBody(req, MAX_TAG_BODY_BYTES, '{"digest": "sha256:<64 hex digits>"}')
  const digest = (body as { digest?: unknown } | null)?.digest
  if (typeof digest !== 'string' || !REGISTRY_DIGEST.test(digest)) {
    throw new ApiError(400, 'DIGEST_INVALID', 'give the manifest digest to point the tag at: {"digest": "sha256:<64 hex digits>"} (or sha512:<128 hex digits>)')
  }
  const result = await pointTagAtDigest(services, repository, tag, digest)
  if (!result.ok) {
    if (result.reason === 'REPOSITORY_NOT_FOUND') throw new ApiError(404, 'REPOSITORY_NOT_FOUND', `repository "${repository}" does not exist`)
    throw new ApiError(404, 'MANIFEST_NOT_FOUND', `repository "${repository}" holds no manifest ${digest}; a tag can only point at an image stored in its repository`)
  }
  const { ok: _ok, ...moved } = result
  return moved
}
