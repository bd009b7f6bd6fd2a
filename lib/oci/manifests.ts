// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<tag|digest>. Manifests are served byte-exact as stored
// (imported images: OCI manifests with uncompressed layers; pushed ones: as pushed).
import type { Ctx } from './context'
import { OciError } from './errors'
import { sendDocument, sendEmpty } from './http'
import { parseReference, type Reference } from './references'
import { acceptedTypes, clientAccepts } from './content-negotiation'
import { parseManifest } from './manifest-parse'
import { readSmallBody } from './request-body'
import { findManifest, storeManifest, deleteManifest as deleteManifestRow } from './manifest-store'
import { findRepositoryId } from './blob-links'
import { sha256 } from '../archive/digest-stream'
import { deleteTag } from '../registry/queries'
import { auditRegistryWrite } from './audit'
import { ensurePushTarget } from './tenancy'

const unknownManifest = (name: string, reference: string, why = 'is not in this repository') =>
  new OciError('MANIFEST_UNKNOWN', `manifest ${name}:${reference} ${why}`, { detail: { name, reference } })

/** For reads and deletes, a malformed tag simply names nothing. */
const lookupReference = (name: string, reference: string): Reference =>
  parseReference(reference, (problem) => new OciError('MANIFEST_UNKNOWN', problem, { detail: { name, reference } }))

async function repositoryOrThrow(ctx: Ctx, name: string) {
  const id = await findRepositoryId(ctx.services, name)
  if (id === null) throw new OciError('NAME_UNKNOWN', `repository "${name}" does not exist`, { detail: { name } })
  return id
}

export async function getManifest(ctx: Ctx, name: string, reference: string) {
  const ref = lookupReference(name, reference)
  const repositoryId = await repositoryOrThrow(ctx, name)
  const manifest = await findManifest(ctx.services, repositoryId, ref)
  if (!manifest) throw unknownManifest(name, reference)
  // A digest names exact bytes, so it is always served; a tag only in a form the client accepts.
  if (ref.kind === 'tag' && !clientAccepts(manifest.mediaType, acceptedTypes(ctx.req.headers.accept))) {
    throw unknownManifest(name, reference, `is a ${manifest.mediaType}, which the client's Accept header does not include`)
  }
  sendDocument(ctx.req, ctx.res, 200, Buffer.from(manifest.content), {
    'Content-Type': manifest.mediaType,
    'Docker-Content-Digest': manifest.digest,
    ETag: `"${manifest.digest}"`,
  })
}

export async function putManifest(ctx: Ctx, name: string, reference: string) {
  const ref = parseReference(reference, (problem) => new OciError('MANIFEST_INVALID', problem, { detail: { reference } }))
  const bytes = await readSmallBody(ctx.req, ctx.services.limits.maxJsonBytes, 'manifest')
  const digest = sha256(bytes)
  if (ref.kind === 'digest' && ref.digest !== digest) {
    throw new OciError('DIGEST_INVALID', `the manifest was pushed as ${ref.digest} but its sha256 is ${digest}`, { detail: { expected: ref.digest, actual: digest } })
  }
  const parsed = parseManifest(bytes, ctx.req.headers['content-type'])
  await ensurePushTarget(ctx, name) // an administrator's push creates a missing organization
  await storeManifest(ctx.services, { repository: name, parsed, bytes, digest, tag: ref.kind === 'tag' ? ref.tag : null })
  await auditRegistryWrite(ctx, 'manifest.push', name, `${name}${ref.kind === 'tag' ? `:${ref.tag}` : ''}@${digest}`)
  sendEmpty(ctx.res, 201, {
    Location: `/v2/${name}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
    ...(parsed.subject ? { 'OCI-Subject': parsed.subject.digest } : {}),
  })
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
