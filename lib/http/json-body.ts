// Small JSON request bodies (the console API's account and settings calls, the tag pointer): read
// with a size bound, so a caller cannot make the server buffer an unbounded body, and parsed once.
import type { IncomingMessage } from 'node:http'
import { ApiError } from './respond'

/** Reads the body (at most maxBytes, else 413) and parses it as JSON (else 400 with `shape` as the hint). */
export async function readJsonBody(req: IncomingMessage, maxBytes: number, shape = 'a JSON object'): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw new ApiError(413, 'BODY_TOO_LARGE', `the body is limited to ${maxBytes} bytes`)
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ApiError(400, 'BODY_INVALID', `the body must be JSON: ${shape}`)
  }
}

/** A JSON object body (not an array, string or null). */
export async function readJsonObject(req: IncomingMessage, maxBytes: number, shape: string): Promise<Record<string, unknown>> {
  const body = await readJsonBody(req, maxBytes, shape)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'BODY_INVALID', `the body must be JSON: ${shape}`)
  return body as Record<string, unknown>
}
