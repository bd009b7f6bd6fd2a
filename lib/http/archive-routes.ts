// POST /api/archives: several images as one `docker load`-able archive (lib/registry/export-archives.ts).
// The body is JSON, or a console form post (application/x-www-form-urlencoded with the JSON in its
// `request` field, so the browser saves the streamed answer itself). ?dryRun=true checks everything and
// answers what the archive would hold, without it.
import type { IncomingMessage } from 'node:http'
import type { ApiCtx, ApiRoute } from './api-routes'
import { allow } from './api-routes'
import { ApiError, sendJson } from './respond'
import { parseArchiveRequest, planArchives, type ArchiveItem } from '../registry/export-archives'
import { sendArchive } from '../registry/export-archive'

/** 100 references of a few hundred characters each fit with room to spare. */
const MAX_BODY_BYTES = 256 * 1024

export const archiveRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: /^\/api\/archives$/,
    sample: '/api/archives',
    audience: 'anyone', // read access is checked per image
    async handle(ctx) {
      // the console posts the form into a hidden frame of its own page: a refusal must load there (as
      // data, still) so that the page can read and show it
      if (isFormPost(ctx.req)) {
        ctx.res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'self'")
        ctx.res.setHeader('X-Frame-Options', 'SAMEORIGIN')
      }
      const request = parseArchiveRequest(await readRequestBody(ctx.req), ctx.url.searchParams.get('compress'))
      await allowEach(ctx, request.items)
      const plan = await planArchives(ctx.services, request.items)
      if (ctx.url.searchParams.get('dryRun') === 'true') {
        const images = plan.images.map((i) => ({ id: i.plan.config.digest, repoTags: i.names.map((n) => `${n.repository}:${n.tag}`), layers: i.plan.layers.length }))
        return sendJson(ctx.res, 200, { images, size: plan.size, filename: plan.filename + (request.gzip ? '.gz' : ''), compress: request.gzip ? 'gzip' : null })
      }
      await sendArchive(ctx.req, ctx.res, plan.entries, { filename: plan.filename, gzip: request.gzip })
    },
  },
]

/** Read access to every repository named, each asked once; a refusal names the image. */
async function allowEach(ctx: ApiCtx, items: ArchiveItem[]) {
  const seen = new Set<string>()
  for (const item of items) {
    if (seen.has(item.repository)) continue
    seen.add(item.repository)
    try {
      await allow(ctx, 'read', { kind: 'repository', name: item.repository })
    } catch (e) {
      if (e instanceof ApiError) throw new ApiError(e.status, e.code, `${item.reference}: ${e.message}`, { image: item.reference })
      throw e
    }
  }
}

const isFormPost = (req: IncomingMessage) => (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')

/** The body, bounded, decoded from JSON or from the console's form post. */
async function readRequestBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'BODY_TOO_LARGE', `the body is limited to ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  let text = Buffer.concat(chunks).toString('utf8')
  if (isFormPost(req)) text = new URLSearchParams(text).get('request') ?? ''
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(400, 'BODY_INVALID', 'the body must be JSON: { "images": ["repo:tag", …], "compress": "gzip" | null }')
  }
}
