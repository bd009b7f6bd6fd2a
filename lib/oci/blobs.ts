// GET/HEAD/DELETE /v2/<name>/blobs/<digest>: downloads with byte ranges, straight from the bucket.
import type { Ctx } from './context'
import { OciError } from './errors'
import { API_VERSION_HEADERS, sendDocument, sendEmpty } from './http'
import { checkDigest } from './references'
import { decideRange } from './range'
import { streamObject } from './blob-stream'
import { linkIsStale, touchLink, unlinkBlob } from './blob-links'
import { blobCache, lookupLinkedBlob, lookupManifest } from './read-queries'
import { auditRegistryWrite } from './audit'

const unknownBlob = (digest: string) => new OciError('BLOB_UNKNOWN', `blob ${digest} is not in this repository`, { detail: { digest } })

export async function serveBlob(ctx: Ctx, name: string, rawDigest: string) {
  const { services, req, res } = ctx
  const digest = checkDigest(rawDigest)
  const blob = await lookupLinkedBlob(services, name, digest)
  if (!blob) return serveManifestAsBlob(ctx, name, digest)
  const headers: Record<string, string> = {
    ...API_VERSION_HEADERS,
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
    // content-addressed: the bytes behind a digest never change
    'Cache-Control': 'max-age=31536000, immutable',
  }
  const range = req.method === 'GET' ? decideRange(req.headers.range, blob.size) : ({ kind: 'full' } as const)
  // decided here for the redirect too: object stores answer an unsatisfiable range each their own way
  if (range.kind === 'unsatisfiable') return rangeNotSatisfiable(ctx, blob.size)
  if (req.method === 'GET' && services.blobRedirectSeconds && services.store.readUrl) {
    // Clients re-send Range to the redirect target, so partial reads work the same way.
    const location = await services.store.readUrl(blob.objectKey, services.blobRedirectSeconds)
    return sendEmpty(res, 307, { Location: location, 'Docker-Content-Digest': digest })
  }
  const cache = blobCache(services.db)
  const cached = req.method === 'GET' ? cache.get(digest) : undefined
  if (cached) return sendCached(ctx, cached, range, headers)
  if (range.kind === 'partial') {
    return streamObject(services.store, blob.objectKey, blob.size, res, range, () =>
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${blob.size}`, 'Content-Length': String(range.end - range.start + 1) }),
    )
  }
  const head = () => res.writeHead(200, { ...headers, 'Content-Length': String(blob.size) })
  if (req.method === 'HEAD') {
    // "do you have it?" before a push skips the upload: keep the link through that push (garbage collection's grace)
    // the query brought touchedAt: the update runs only when the link is due (at most once a minute)
    if (linkIsStale(blob.touchedAt)) await touchLink(services, name, digest)
    return void head().end()
  }
  // a blob small enough for the cache is kept once it has been sent whole
  const chunks: Buffer[] | null = blob.size <= Math.min(cache.maxEntryBytes, cache.maxBytes) ? [] : null
  await streamObject(services.store, blob.objectKey, blob.size, res, undefined, head, chunks ? (c) => chunks.push(c) : undefined)
  if (chunks) cache.set(digest, Buffer.concat(chunks, blob.size))
}

/** A blob from this instance's cache (after the link check), whole or the range asked for. */
function sendCached(ctx: Ctx, bytes: Buffer, range: ReturnType<typeof decideRange>, headers: Record<string, string>) {
  if (range.kind === 'partial') {
    ctx.res.writeHead(206, { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${bytes.length}`, 'Content-Length': String(range.end - range.start + 1) })
    return void ctx.res.end(bytes.subarray(range.start, range.end + 1))
  }
  ctx.res.writeHead(200, { ...headers, 'Content-Length': String(bytes.length) })
  ctx.res.end(bytes)
}

/** Clients may fetch a manifest through the blob endpoint (the reference registry stores both alike). */
async function serveManifestAsBlob(ctx: Ctx, name: string, digest: string) {
  const manifest = (await lookupManifest(ctx.services, name, { kind: 'digest', digest }))?.manifest
  if (!manifest) throw unknownBlob(digest)
  const { content } = manifest
  const headers = { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': digest, 'Accept-Ranges': 'bytes', ETag: `"${digest}"` }
  const range = ctx.req.method === 'GET' ? decideRange(ctx.req.headers.range, content.length) : ({ kind: 'full' } as const)
  if (range.kind === 'unsatisfiable') return rangeNotSatisfiable(ctx, content.length)
  if (range.kind === 'partial') {
    return sendDocument(ctx.req, ctx.res, 206, content.subarray(range.start, range.end + 1), {
      ...headers,
      'Content-Range': `bytes ${range.start}-${range.end}/${content.length}`,
    })
  }
  sendDocument(ctx.req, ctx.res, 200, content, headers)
}

/** RFC 9110: 416 names the size, so the client can ask again for what exists. */
const rangeNotSatisfiable = (ctx: Ctx, size: number) => sendEmpty(ctx.res, 416, { 'Content-Range': `bytes */${size}` })

export async function deleteBlob(ctx: Ctx, name: string, rawDigest: string) {
  const digest = checkDigest(rawDigest)
  const outcome = await unlinkBlob(ctx.services, name, digest)
  if (outcome === 'unknown') throw unknownBlob(digest)
  if (outcome !== 'unlinked') {
    // The spec's answer for a blob deletion the registry does not allow is 405 (or 400); UNSUPPORTED is
    // its code for "the operation is unsupported". The blob stays readable.
    throw new OciError(
      'UNSUPPORTED',
      `blob ${digest} is still referenced by manifest ${outcome.referencedBy} in repository "${name}"; delete the manifests that use it first`,
      { status: 405, detail: { digest, manifest: outcome.referencedBy }, headers: { Allow: 'GET, HEAD' } },
    )
  }
  await auditRegistryWrite(ctx, 'blob.delete', name, `${name}@${digest}`)
  sendEmpty(ctx.res, 202, { 'Docker-Content-Digest': digest })
}
