// The console API's route table type. Each feature module exports its routes (repository-routes.ts,
// account-routes.ts, …) and console-api.ts matches them in order. The table is also what the access
// test walks (tests/integration/access-routes.test.ts): every route declares who may call it and a
// sample path, so a new route cannot be added without being tested for access.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Services } from '../services'
import type { Principal } from '../auth/principal'
import { authorize, type Action, type Resource } from './authorize'
import { ApiError } from './respond'

export type ApiCtx = { services: Services; req: IncomingMessage; res: ServerResponse; url: URL }

/**
 * Who may call a route, for the access test (the handler enforces it through authorize):
 * anyone · signed-in (any user) · pull / push / owner (that role in the sample's organization) · admin.
 */
export type Audience = 'anyone' | 'signed-in' | 'pull' | 'push' | 'owner' | 'admin'

export type ApiRoute = {
  method: string
  /** matched against the path without trailing slashes; groups are passed (raw) to the handler */
  pattern: RegExp
  /** a path this route matches, with ORG standing for the test organization and REPO for a repository in it */
  sample: string
  audience: Audience
  handle(ctx: ApiCtx, match: RegExpExecArray): Promise<void>
}

/** Asks the one authorization function; throws the console API's 401/403 answer. */
export async function allow(ctx: ApiCtx, action: Action, resource: Resource): Promise<Principal> {
  const d = await authorize(ctx.services, ctx.req, action, resource)
  if (!d.allowed) throw new ApiError(d.status, d.status === 401 ? 'UNAUTHORIZED' : 'DENIED', d.reason)
  return d.principal
}
