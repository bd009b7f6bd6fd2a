// GET /v2/<name>/referrers/<digest>: the manifests whose subject is <digest>, as an OCI image index.
// Never 404 (the spec reserves that for "referrers API not supported"): an unknown repository or digest
// has an empty list.
import type { Ctx } from './context'
import { sendDocument } from './http'
import { checkDigest } from './references'
import { findRepositoryId } from './blob-links'
import { MediaType } from '../registry/media-types'

export async function listReferrers(ctx: Ctx, name: string, rawDigest: string) {
  const digest = checkDigest(rawDigest)
  const artifactType = ctx.url.searchParams.get('artifactType')
  const repositoryId = await findRepositoryId(ctx.services, name)
  const rows =
    repositoryId === null
      ? []
      : await ctx.services.db.manifest.findMany({
          where: { repositoryId, subjectDigest: digest, ...(artifactType ? { artifactType } : {}) },
          orderBy: { id: 'asc' },
          select: { digest: true, mediaType: true, content: true, artifactType: true },
        })
  const manifests = rows.map((r) => {
    const annotations = annotationsOf(Buffer.from(r.content))
    return {
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.content.length,
      ...(r.artifactType ? { artifactType: r.artifactType } : {}),
      ...(annotations ? { annotations } : {}),
    }
  })
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }))
  sendDocument(ctx.req, ctx.res, 200, body, { 'Content-Type': MediaType.ociIndex, ...(artifactType ? { 'OCI-Filters-Applied': 'artifactType' } : {}) })
}

function annotationsOf(content: Buffer): Record<string, string> | null {
  try {
    const a = JSON.parse(content.toString('utf8'))?.annotations
    return a && typeof a === 'object' && !Array.isArray(a) ? a : null
  } catch {
    return null
  }
}
