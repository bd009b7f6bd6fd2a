// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<tag|digest>. Manifests are served byte-exact as stored
// (imported images: OCI manifests with uncompressed layers; pushed ones: as pushed).
import type { Ctx } from './context'
import { OciError } from './errors'
import { sendDocument, sendEmpty } from './http'
import { parseReference, type Reference } from './references'
import { acceptedTypes, clientAccepts } from './content-negotiation'
import { parseManifest } from './manifest-parse'
import { readSmallBody } from './request-body'
import { lookupManifest } from './read-queries'
import { storeManifest, deleteManifest as deleteManifestRow } from './manifest-store'
import { findRepositoryId } from './blob-links'
import { DEFAULT_ALGORITHM, algorithmOf, digestOf } from './digest-algorithms'
import { tagNameProblem } from '../registry/names'
import { deleteTag } from '../registry/queries'
import { auditRegistryWrite } from './audit'
import { ensurePushTarget } from './tenancy'

const unknownManifest = (name: string, reference: string, why = 'is not in this repository') =>
  new OciError('MANIFEST_UNKNOWN', `manifest ${name}:${reference} ${why}`, { detail: { name, reference } })

/** For reads and deletes, a malformed tag simply names nothing. */
const lookupReference = (name: string, reference: string): Reference =>
  parseReference(reference, (problem) => new OciError('MANIFEST_UNKNOWN', problem, { detail: { name, reference } }))

const unknownRepository = (name: string) => new OciError('NAME_UNKNOWN', `repository "${name}" does not exist`, { detail: { name } })

async function repositoryOrThrow(ctx: Ctx, name: string) {
  const id = await findRepositoryId(ctx.services, name)
  if (id === null) throw unknownRepository(name)
  return id
}

export async function getManifest(ctx: Ctx, name: string, reference: string) {
  const ref = lookupReference(name, reference)
  const found = await lookupManifest(ctx.services, name, ref)
  if (!found) throw unknownRepository(name)
  const { manifest } = found
  if (!manifest) throw unknownManifest(name, reference)
  // A digest names exact bytes, so it is always served; a tag only in a form the client accepts.
  if (ref.kind === 'tag' && !clientAccepts(manifest.mediaType, acceptedTypes(ctx.req.headers.accept))) {
    throw unknownManifest(name, reference, `is a ${manifest.mediaType}, which the client's Accept header does not include`)
  }
  sendDocument(ctx.req, ctx.res, 200, manifest.content, {
    'Content-Type': manifest.mediaType,
    'Docker-Content-Digest': manifest.digest,
    ETag: `"${manifest.digest}"`,
  })
}

export async function putManifest(ctx: Ctx, name: string, reference: string) {
  const ref = parseReference(reference, (problem) => new OciError('MANIFEST_INVALID', problem, { detail: { reference } }))
  const pushTags = tagsOnPush(ctx.url, ref)
  const bytes = await readSmallBody(ctx.req, ctx.services.limits.maxJsonBytes, 'manifest')
  // Stored under the digest the client named, verified in its algorithm; a push by tag is sha256.
  const algorithm = ref.kind === 'digest' ? algorithmOf(ref.digest) : DEFAULT_ALGORITHM
  const digest = digestOf(algorithm, bytes)
  if (ref.kind === 'digest' && ref.digest !== digest) {
    throw new OciError('DIGEST_INVALID', `the manifest was pushed as ${ref.digest} but its ${algorithm} is ${digest}`, { detail: { expected: ref.digest, actual: digest } })
  }
  const parsed = parseManifest(bytes, ctx.req.headers['content-type'])
  await ensurePushTarget(ctx, name) // an administrator's push creates a missing organization
  const tags = ref.kind === 'tag' ? [ref.tag] : pushTags
  await storeManifest(ctx.services, { repository: name, parsed, bytes, digest, tags })
  if (tags.length === 0) await auditRegistryWrite(ctx, 'manifest.push', name, `${name}@${digest}`)
  // each tag recorded as if it were pushed on its own
  for (const tag of tags) await auditRegistryWrite(ctx, 'manifest.push', name, `${name}:${tag}@${digest}`)
  sendEmpty(ctx.res, 201, {
    Location: `/v2/${name}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
    ...(parsed.subject ? { 'OCI-Subject': parsed.subject.digest } : {}),
    // distribution-spec 1.1 "tags on push": one OCI-Tag per tag applied, so the client knows it need not push them again
    ...(pushTags.length ? { 'OCI-Tag': pushTags } : {}),
  })
}

/** The most `?tag=` parameters one push may carry (each is a tag move in the same transaction). */
export const MAX_TAGS_ON_PUSH = 100

/** `PUT /v2/<name>/manifests/<digest>?tag=a&tag=b`: the tags to point at the pushed manifest, checked before the body is read. */
function tagsOnPush(url: URL, ref: Reference): string[] {
  const tags = [...new Set(url.searchParams.getAll('tag'))]
  if (!tags.length) return []
  if (ref.kind === 'tag') {
    throw new OciError('MANIFEST_INVALID', `tag query parameters go with a push by digest; this push names the tag "${ref.tag}" already`, { detail: { tags } })
  }
  if (tags.length > MAX_TAGS_ON_PUSH) {
    throw new OciError('MANIFEST_INVALID', `a push may set at most ${MAX_TAGS_ON_PUSH} tags, not ${tags.length}`, { detail: { limit: MAX_TAGS_ON_PUSH } })
  }
  for (const tag of tags) {
    const problem = tagNameProblem(tag)
    if (problem) throw new OciError('MANIFEST_INVALID', `tag query parameter: ${problem}`, { detail: { tag: tag.slice(0, 200) } })
  }
  return tags
}

export async function deleteManifest(ctx: Ctx, name: string, reference: string) {
  const ref = lookupReference(name, reference)
  const repositoryId = await repositoryOrThrow(ctx, name)
  const deleted =
    ref.kind === 'tag'
      ? await deleteTag(ctx.services, name, ref.tag, 'push')
      : (await deleteManifestRow(ctx.services, repositoryId, ref.digest, { listed: 'unlist', source: 'push' })).deleted
  if (!deleted) throw unknownManifest(name, reference)
  await auditRegistryWrite(ctx, ref.kind === 'tag' ? 'tag.delete' : 'manifest.delete', name, ref.kind === 'tag' ? `${name}:${ref.tag}` : `${name}@${ref.digest}`)
  sendEmpty(ctx.res, 202)
}
