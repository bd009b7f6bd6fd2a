// The image-level file API (issue 13, /work contract-13): an image's merged filesystem, dive's efficiency,
// where its bytes are, and the comparison of two images. IMAGE = /api/repositories/{name}/tags/{tag} or
// /digests/{digest}, ?platform= for an index. Readable by whoever may pull the repository. While a layer
// index or the image's analysis is being built: 202 with the layers' states.
import type { ApiCtx, ApiRoute } from './api-routes'
import { allow } from './api-routes'
import { ApiError, sendJson } from './respond'
import { decodePathSegment, positiveIntParam, MAX_PAGE_NUMBER } from './request-params'
import { resolveImage, ImageRefError, type ImageRef } from '../analysis/image-ref'
import { lookupAnalysis, AnalysisFailedError, type ReadyAnalysis, type LayerState } from '../analysis/image-analysis'
import { listDirectory, searchIndex, ListingError, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../layers/directory-listing'
import { imageUsage } from '../layers/image-usage'
import { compareTrees } from '../layers/image-compare'

const IMAGE = '^/api/repositories/(.+?)/(tags|digests)/([^/]+)'

/** The image the request names, after the pull check; null when an answer was sent already (PLATFORM_REQUIRED). */
async function image(ctx: ApiCtx, rawRepository: string, rawReference: string): Promise<ImageRef | null> {
  const repository = decodePathSegment(rawRepository, 'repository name')
  await allow(ctx, 'read', { kind: 'repository', name: repository })
  const reference = decodePathSegment(rawReference, 'tag or digest')
  try {
    return await resolveImage(ctx.services, repository, reference, ctx.url.searchParams.get('platform'))
  } catch (e) {
    if (!(e instanceof ImageRefError)) throw e
    if (e.platforms) {
      sendJson(ctx.res, e.status, { error: { code: e.code, message: e.message }, platforms: e.platforms })
      return null
    }
    throw new ApiError(e.status, e.code, e.message)
  }
}

/** The ready analysis, or null after answering 202 with what it waits for. */
async function ready(ctx: ApiCtx, img: ImageRef): Promise<ReadyAnalysis | null> {
  try {
    const found = await lookupAnalysis(ctx.services, img)
    if (found.ready) return found.analysis
    sendJson(ctx.res, 202, found.body)
    return null
  } catch (e) {
    if (e instanceof AnalysisFailedError) throw new ApiError(500, 'ANALYSIS_FAILED', e.message)
    throw e
  }
}

const incomplete = (a: ReadyAnalysis) => (a.incomplete ? { incomplete: true } : {})

function withLayerDigest(layers: LayerState[]) {
  const digests = new Map(layers.map((l) => [l.position, l.digest]))
  return <E extends { layer?: number; type?: string; size?: number; files?: number }>(e: E) => ({
    ...e,
    ...(e.layer !== undefined ? { layerDigest: digests.get(e.layer) ?? null } : {}),
    ...(e.type === 'dir' && e.files !== undefined ? { bytes: e.size } : {}),
  })
}

async function files(ctx: ApiCtx, img: ImageRef, a: ReadyAnalysis) {
  const url = ctx.url
  const page = positiveIntParam(url, 'page', 1, MAX_PAGE_NUMBER)
  const pageSize = positiveIntParam(url, 'pageSize', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
  const sort = url.searchParams.get('sort') ?? 'name'
  if (sort !== 'name' && sort !== 'size') throw new ApiError(400, 'SORT_INVALID', 'sort must be name or size')
  const view = withLayerDigest(a.layers)
  const common = { digest: img.digest, layers: a.layers, ...incomplete(a) }
  const q = url.searchParams.get('q')
  if (q) {
    const found = await searchIndex(ctx.services, a.objectKey, q, page, pageSize)
    return sendJson(ctx.res, 200, { ...common, ...found, entries: found.entries.map(view) })
  }
  const listing = await listDirectory(ctx.services, a.objectKey, { path: url.searchParams.get('path') ?? '', page, pageSize, sort }).catch((e) => {
    if (e instanceof ListingError) throw new ApiError(e.status, e.code, e.message.replace('this layer', 'this image'))
    throw e
  })
  sendJson(ctx.res, 200, { ...common, ...listing, entries: listing.entries.map(view) })
}

async function usage(ctx: ApiCtx, img: ImageRef, a: ReadyAnalysis) {
  const found = await imageUsage(ctx.services, a.objectKey)
  const digests = new Map(a.layers.map((l) => [l.position, l.digest]))
  const rows = await ctx.services.db.layerIndex.findMany({ where: { digest: { in: img.layers.map((l) => l.digest) } }, select: { digest: true, fileBytes: true, compressedContentBytes: true, compressibleBytes: true } })
  const byDigest = new Map(rows.map((r) => [r.digest, r]))
  sendJson(ctx.res, 200, {
    digest: img.digest,
    ...incomplete(a),
    largestFiles: found.largestFiles.map((f) => ({ ...f, layerDigest: digests.get(f.layer) ?? null })),
    largestDirectories: found.largestDirectories,
    // the split of each layer's file bytes that explains its compressed size (null: indexed before it was recorded)
    layers: img.layers.map((l) => {
      const r = byDigest.get(l.digest)
      return { position: l.position, digest: l.digest, fileBytes: r?.fileBytes ?? null, compressedContentBytes: r?.compressedContentBytes ?? null, compressibleBytes: r?.compressibleBytes ?? null }
    }),
  })
}

const sum = (values: (bigint | null)[]) => (values.some((v) => v === null) ? null : values.reduce((n: number, v) => n + Number(v), 0))
const sizes = (from: (bigint | null)[], to: (bigint | null)[]) => {
  const f = sum(from)
  const t = sum(to)
  return { from: f, to: t, delta: f === null || t === null ? null : t - f }
}

async function compare(ctx: ApiCtx, m: RegExpExecArray) {
  const fromRef = ctx.url.searchParams.get('from')
  const toRef = ctx.url.searchParams.get('to')
  if (!fromRef || !toRef) throw new ApiError(400, 'REFERENCE_REQUIRED', 'name both images: ?from=TAG_OR_DIGEST&to=TAG_OR_DIGEST')
  const from = await image(ctx, m[1], encodeURIComponent(fromRef))
  if (!from) return
  const to = await image(ctx, m[1], encodeURIComponent(toRef))
  if (!to) return
  const [a, b] = [await lookupAnalysis(ctx.services, from), await lookupAnalysis(ctx.services, to)]
  if (!a.ready || !b.ready) {
    const waiting = [a, b].flatMap((x) => (x.ready ? [] : [x.body]))
    return sendJson(ctx.res, 202, { state: waiting.some((w) => w.state === 'pending') ? 'pending' : 'building', layers: waiting.flatMap((w) => w.layers) })
  }
  const fromDigests = new Set(from.layers.map((l) => l.digest))
  const toDigests = new Set(to.layers.map((l) => l.digest))
  const page = positiveIntParam(ctx.url, 'page', 1, MAX_PAGE_NUMBER)
  const pageSize = positiveIntParam(ctx.url, 'pageSize', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
  const diff = await compareTrees(ctx.services, a.analysis.objectKey, b.analysis.objectKey, { page, pageSize })
  const packed = from.packedSize !== null && to.packedSize !== null ? sizes([from.packedSize], [to.packedSize]) : null
  sendJson(ctx.res, 200, {
    from: { reference: fromRef, digest: from.digest },
    to: { reference: toRef, digest: to.digest },
    ...(a.analysis.incomplete || b.analysis.incomplete ? { incomplete: true } : {}),
    layers: {
      shared: to.layers.filter((l) => fromDigests.has(l.digest)).map((l) => l.digest),
      added: to.layers.filter((l) => !fromDigests.has(l.digest)).map((l) => l.digest),
      removed: from.layers.filter((l) => !toDigests.has(l.digest)).map((l) => l.digest),
    },
    sizes: {
      uncompressed: sizes(from.layers.map((l) => l.uncompressedSize), to.layers.map((l) => l.uncompressedSize)),
      compressed: (() => {
        const s = sizes(from.layers.map((l) => l.compressedSize), to.layers.map((l) => l.compressedSize))
        return s.delta === null ? null : s
      })(),
      ...(packed ? { packed } : {}),
    },
    ...diff,
  })
}

type Handler = (ctx: ApiCtx, img: ImageRef, a: ReadyAnalysis) => Promise<void>

function imageRoute(suffix: string, sample: string, handle: Handler): ApiRoute {
  return {
    method: 'GET',
    pattern: new RegExp(`${IMAGE}/${suffix}$`),
    sample: `/api/repositories/REPO/tags/v1/${sample}`,
    audience: 'pull',
    async handle(ctx, m) {
      const img = await image(ctx, m[1], m[3])
      if (!img) return
      const a = await ready(ctx, img)
      if (a) await handle(ctx, img, a)
    },
  }
}

export const imageAnalysisRoutes: ApiRoute[] = [
  imageRoute('files', 'files', files),
  imageRoute('efficiency', 'efficiency', async (ctx, img, a) => sendJson(ctx.res, 200, { digest: img.digest, ...incomplete(a), ...a.efficiency })),
  imageRoute('usage', 'usage', usage),
  { method: 'GET', pattern: /^\/api\/repositories\/(.+?)\/compare$/, sample: '/api/repositories/REPO/compare?from=v1&to=v2', audience: 'pull', handle: compare },
]
