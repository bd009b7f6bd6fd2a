// The console API's use of the push rate limit (rate-limit.ts): route handlers that change an
// organization's repositories call limitWrites after authorizing, so refused callers never spend the
// organization's budget and an excess answers 429 TOO_MANY_REQUESTS with Retry-After.
import type { ApiCtx } from '../http/api-routes'
import { ApiError } from '../http/respond'
import { rateLimitMessage } from './rate-limit'

export async function limitWrites(ctx: ApiCtx, organization: string): Promise<void> {
  const decision = await ctx.services.rateLimit?.consumeWrite(organization)
  if (!decision || decision.allowed) return
  ctx.res.setHeader('Retry-After', String(decision.retryAfterSeconds))
  throw new ApiError(429, 'TOO_MANY_REQUESTS', rateLimitMessage(organization, decision))
}
