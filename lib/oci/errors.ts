// Registry API errors in the distribution spec's JSON form: {"errors":[{"code","message","detail"}]}.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { API_VERSION_HEADERS } from './http'

export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'UNAVAILABLE' // the object store cannot be reached (the reference registry's code for a 503)
  | 'UNKNOWN' // an unexpected server failure (the reference registry's code for a 500)

/** The status each code has unless a request needs a more specific one (416, 413, 415). */
export const DEFAULT_STATUS: Record<OciErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  UNAVAILABLE: 503,
  UNKNOWN: 500,
}

export class OciError extends Error {
  readonly status: number
  readonly detail: unknown
  readonly headers: Record<string, string>

  constructor(
    readonly code: OciErrorCode,
    message: string,
    opts: { status?: number; detail?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message)
    this.status = opts.status ?? DEFAULT_STATUS[code]
    this.detail = opts.detail ?? null
    this.headers = opts.headers ?? {}
  }
}

export const isOciError = (e: unknown): e is OciError => e instanceof OciError

export function sendOciError(req: IncomingMessage, res: ServerResponse, e: OciError) {
  const body = Buffer.from(JSON.stringify({ errors: [{ code: e.code, message: e.message, detail: e.detail }] }))
  const headers: Record<string, string> = {
    ...API_VERSION_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(body.length),
    ...e.headers,
  }
  // Answering before the request body was read (a size limit, a bad range): close the connection so
  // the client stops sending instead of Node reading and discarding the rest.
  if (!req.complete) headers.Connection = 'close'
  res.writeHead(e.status, headers)
  res.end(req.method === 'HEAD' ? undefined : body)
}
