// The files inside a layer (issue 13): GET /api/blobs/{digest}/files?path=&page=&sort=&q= lists one
// directory level (or searches paths) of the layer's index; GET /api/blobs/{digest}/files/{path} sends
// one regular file's bytes. Readable by whoever may read some repository holding the blob. While the
// index is not built yet both answer 202 with its state.
import type { ApiCtx, ApiRoute } from './api-routes'
import { ApiError, sendJson } from './respond'
import { blobReadAccess } from '../layers/blob-access'
import { indexability, requestIndex } from '../layers/index-state'
import { listDirectory, searchIndex, findEntry, ListingError, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../layers/directory-listing'
import { notDownloadable, sendLayerFile } from '../layers/file-download'
import { normalizePath } from '../layers/entry-names'
import { indexLater } from '../analysis/blob-analysis'

const DIGEST = /^sha256:[a-f0-9]{64}$/

type ReadyIndex = {
  objectKey: string
  offsetsOf: string | null
  entryCount: number | null
  fileCount: number | null
  fileBytes: bigint | null
  compressedContentBytes: bigint | null
  compressibleBytes: bigint | null
}

/**
 * The blob (after the access check) and its index when it is ready; otherwise answers for the caller:
 * 202 while pending/building, 422 when the layer is not a tar (or no layer), 500 when building failed.
 */
async function readyIndex(ctx: ApiCtx, rawDigest: string): Promise<{ blob: { objectKey: string; mediaType: string | null }; index: ReadyIndex } | null> {
  const { services } = ctx
  const digest = rawDigest.replace(/%3A/gi, ':')
  if (!DIGEST.test(digest)) throw new ApiError(400, 'DIGEST_INVALID', `${digest} is not a sha256 digest (sha256:<64 hex digits>)`)
  const access = await blobReadAccess(services, ctx.req, digest)
  if (!access.ok) throw new ApiError(access.status, access.status === 404 ? 'BLOB_UNKNOWN' : access.status === 401 ? 'UNAUTHORIZED' : 'DENIED', access.reason)
  const blob = await services.db.blob.findUnique({ where: { digest }, select: { objectKey: true, mediaType: true, analysisState: true } })
  if (!blob) throw new ApiError(404, 'BLOB_UNKNOWN', `no blob ${digest}`)
  const can = indexability(blob.mediaType)
  if (!can.indexable) throw new ApiError(422, 'NOT_INDEXED', can.reason)
  let row = await services.db.layerIndex.findUnique({ where: { digest } })
  if (!row) {
    // a layer measured before indexes existed: ask for its index (a layer being measured gets one anyway)
    if (blob.analysisState !== 'pending' && blob.analysisState !== 'running') {
      await requestIndex(services, digest)
      await indexLater(services, digest)
    }
    sendJson(ctx.res, 202, { digest, state: 'pending' })
    return null
  }
  if (row.state === 'pending' || row.state === 'building') {
    sendJson(ctx.res, 202, { digest, state: row.state })
    return null
  }
  if (row.state === 'not-a-tar') throw new ApiError(422, 'NOT_A_TAR', `this layer is not a tar archive: ${row.error}`)
  if (row.state !== 'ready' || !row.objectKey) throw new ApiError(500, 'INDEX_FAILED', `the index of this layer could not be built: ${row.error ?? row.state}`)
  return { blob, index: { ...row, objectKey: row.objectKey } }
}

function positiveInt(ctx: ApiCtx, name: string, fallback: number, max: number): number {
  const raw = ctx.url.searchParams.get(name)
  if (raw === null || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ApiError(400, 'PAGE_INVALID', `${name} must be a whole number from 1 to ${max}`)
  return n
}

function listingError(e: unknown): never {
  if (e instanceof ListingError) throw new ApiError(e.status, e.code, e.message)
  throw e
}

export const layerFileRoutes: ApiRoute[] = [
  {
    method: 'GET',
    pattern: /^\/api\/blobs\/([^/]+)\/files$/,
    sample: '/api/blobs/LAYER/files',
    audience: 'pull',
    async handle(ctx, m) {
      const ready = await readyIndex(ctx, m[1])
      if (!ready) return
      const { index } = ready
      const page = positiveInt(ctx, 'page', 1, 1_000_000)
      const pageSize = positiveInt(ctx, 'pageSize', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
      const sort = ctx.url.searchParams.get('sort') ?? 'name'
      if (sort !== 'name' && sort !== 'size') throw new ApiError(400, 'SORT_INVALID', 'sort must be name or size')
      const layer = {
        digest: m[1].replace(/%3A/gi, ':'),
        state: 'ready',
        offsetsOf: index.offsetsOf,
        entryCount: index.entryCount,
        fileCount: index.fileCount,
        fileBytes: index.fileBytes,
        // of fileBytes: already-compressed content and the rest (null: indexed before these were counted)
        compressedContentBytes: index.compressedContentBytes,
        compressibleBytes: index.compressibleBytes,
      }
      const q = ctx.url.searchParams.get('q')
      if (q) return sendJson(ctx.res, 200, { ...layer, ...(await searchIndex(ctx.services, index.objectKey, q, page, pageSize)) })
      const listing = await listDirectory(ctx.services, index.objectKey, { path: ctx.url.searchParams.get('path') ?? '', page, pageSize, sort }).catch(listingError)
      sendJson(ctx.res, 200, { ...layer, ...listing })
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/blobs\/([^/]+)\/files\/(.+)$/,
    sample: '/api/blobs/LAYER/files/no/such/file',
    audience: 'pull',
    async handle(ctx, m) {
      const ready = await readyIndex(ctx, m[1])
      if (!ready) return
      let raw: string
      try {
        raw = decodeURIComponent(m[2])
      } catch {
        throw new ApiError(400, 'PATH_INVALID', 'the file path is not valid percent-encoding (write % as %25)')
      }
      const path = normalizePath(raw).path
      const entry = await findEntry(ctx.services, ready.index.objectKey, path)
      if (!entry) throw new ApiError(404, 'PATH_UNKNOWN', `this layer has no file ${path}`)
      const refused = notDownloadable(entry, ready.index.offsetsOf)
      if (refused) throw new ApiError(refused.status, refused.code, refused.message)
      await sendLayerFile(ctx.services, ready.blob, ready.index.offsetsOf, entry, ctx.res)
    },
  },
]
