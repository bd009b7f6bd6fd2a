// /v2/token: the token endpoint of the registry token flow (distribution's token spec), where
// `docker login`, podman and skopeo trade Basic credentials (a password or an access token) for a
// short-lived JWT whose `access` claims are what the live policy allows for the scopes asked
// (lib/auth/grant-scopes.ts). GET with query parameters (the token spec) and POST with a form
// (its OAuth2 variant, grant_type=password). No credentials: an anonymous token (public pulls).
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Services } from '../services'
import type { Principal } from '../auth/principal'
import { ANONYMOUS } from '../auth/principal'
import { authenticateCredentials, principalOf, tokenKeyOf, AuthenticationError } from '../auth/authenticate'
import { DEFAULT_REGISTRY_TOKEN_SECONDS, DEFAULT_SERVICE, ThrottledError } from '../auth/auth-settings'
import { issueRegistryToken } from '../auth/registry-token'
import { grantScopes, requestedScopes } from '../auth/grant-scopes'
import { recordAudit } from '../audit/audit-log'
import { clientAddress } from '../http/client-address'
import { readSmallBody } from './request-body'
import { API_VERSION_HEADERS } from './http'

/** A form of a few scopes and credentials; anything larger is not a login. */
const MAX_FORM_BYTES = 16 * 1024

type TokenRequest = { service: string | null; scopes: string[]; account: string | null; credentials: { user: string; secret: string } | null }

/** An answer of the endpoint that is not a token (OAuth2's error names, and the registry's error form docker prints). */
class TokenError extends Error {
  constructor(
    readonly status: number,
    readonly oauthCode: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

export async function handleTokenRequest(services: Services, req: IncomingMessage, res: ServerResponse, url: URL) {
  try {
    const request = req.method === 'POST' ? await formRequest(req) : queryRequest(req, url)
    const service = services.auth?.service ?? DEFAULT_SERVICE
    if (request.service !== null && request.service !== service) throw new TokenError(400, 'invalid_request', `this registry's service is "${service}", not "${request.service.slice(0, 100)}"`)
    const principal = await principalFor(services, req, request)
    if (request.account !== null && principal.kind === 'user' && request.account !== principal.name) {
      throw new TokenError(400, 'invalid_request', `the account "${request.account.slice(0, 100)}" is not the user that signed in`)
    }
    const access = await grantScopes(services, principal, requestedScopes(request.scopes))
    const issued = await issueRegistryToken(await tokenKeyOf(services), {
      subject: principal.kind === 'user' ? principal.name : '',
      service,
      access,
      ttlSeconds: services.auth?.registryTokenSeconds ?? DEFAULT_REGISTRY_TOKEN_SECONDS,
      // a token made from an access token dies with it (authenticate.ts checks it on every request)
      tokenId: principal.kind === 'user' ? principal.token?.tokenId : undefined,
    })
    send(res, 200, { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt }, { 'Cache-Control': 'no-store' })
  } catch (e) {
    if (e instanceof TokenError) return sendError(res, e)
    if (e instanceof ThrottledError) return sendError(res, new TokenError(429, 'slow_down', e.message, { 'Retry-After': String(e.retryAfterSeconds) }))
    throw e
  }
}

function queryRequest(req: IncomingMessage, url: URL): TokenRequest {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new TokenError(405, 'invalid_request', 'use GET (token spec) or POST (OAuth2 form)', { Allow: 'GET, POST' })
  const q = url.searchParams
  return { service: q.get('service'), scopes: q.getAll('scope'), account: q.get('account'), credentials: basicCredentials(req) }
}

async function formRequest(req: IncomingMessage): Promise<TokenRequest> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') throw new TokenError(400, 'invalid_request', 'POST a form (application/x-www-form-urlencoded)')
  const form = new URLSearchParams((await readSmallBody(req, MAX_FORM_BYTES, 'token request')).toString('utf8'))
  const grant = form.get('grant_type')
  // refresh tokens are not issued (offline_token is ignored): clients log in again with their credentials
  if (grant !== 'password') throw new TokenError(400, 'unsupported_grant_type', `grant_type "${(grant ?? '').slice(0, 40)}" is not supported; use password`)
  const user = form.get('username')
  const secret = form.get('password')
  if (!user || secret === null) throw new TokenError(400, 'invalid_request', 'grant_type=password needs username and password')
  return { service: form.get('service'), scopes: form.getAll('scope'), account: null, credentials: { user, secret } }
}

function basicCredentials(req: IncomingMessage): TokenRequest['credentials'] {
  const header = req.headers.authorization ?? ''
  if (!/^basic /i.test(header)) return null
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) throw new TokenError(400, 'invalid_request', 'malformed Basic credentials')
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }
}

/**
 * Who asks: the Basic/form credentials; another Authorization (a Bearer access token) as any request;
 * none: anonymous (a session cookie is ignored, and so is the open access of feature tests: the token
 * flow is about credentials).
 */
async function principalFor(services: Services, req: IncomingMessage, request: TokenRequest): Promise<Principal> {
  if (request.credentials) {
    const { user, secret } = request.credentials
    try {
      return await authenticateCredentials(services, user, secret, clientAddress(services, req))
    } catch (e) {
      if (!(e instanceof AuthenticationError)) throw e
      // only failures are logged: every pull asks for tokens, successes would flood the log
      await recordAudit(services, req, { action: 'session.sign-in', outcome: 'failed', actor: user, detail: { via: 'registry-token' } })
      throw new TokenError(401, 'invalid_grant', e.message, { 'WWW-Authenticate': 'Basic realm="stowage registry token"' })
    }
  }
  if (!req.headers.authorization) return ANONYMOUS
  try {
    return await principalOf(services, req)
  } catch (e) {
    if (e instanceof AuthenticationError) throw new TokenError(401, 'invalid_grant', e.message)
    throw e
  }
}

function sendError(res: ServerResponse, e: TokenError) {
  // docker prints `errors` (the registry's form); OAuth2 clients read `error`/`error_description`
  const code = e.status === 401 ? 'UNAUTHORIZED' : e.status === 429 ? 'TOOMANYREQUESTS' : 'UNSUPPORTED'
  send(res, e.status, { errors: [{ code, message: e.message, detail: null }], error: e.oauthCode, error_description: e.message }, e.headers)
}

function send(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  const body = Buffer.from(JSON.stringify(value))
  res.writeHead(status, { ...API_VERSION_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length), ...headers })
  res.end(res.req?.method === 'HEAD' ? undefined : body)
}
