// Small response helpers of the registry API: every answer carries the API version header and an exact
// Content-Length (clients such as containerd rely on it, also for HEAD).
import type { IncomingMessage, ServerResponse } from 'node:http'

export const API_VERSION_HEADERS = { 'Docker-Distribution-API-Version': 'registry/2.0' }

/** Answers with no body (202/201/204 of uploads, HEAD). A list value sends the header once per item. */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | string[]> = {}) {
  res.writeHead(status, { ...API_VERSION_HEADERS, 'Content-Length': '0', ...headers })
  res.end()
}

/** Answers with a small document (manifests, listings); HEAD gets the same headers without the body. */
export function sendDocument(req: IncomingMessage, res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>) {
  res.writeHead(status, { ...API_VERSION_HEADERS, 'Content-Length': String(body.length), ...headers })
  res.end(req.method === 'HEAD' ? undefined : body)
}

export function sendJsonDocument(req: IncomingMessage, res: ServerResponse, value: unknown, headers: Record<string, string> = {}) {
  sendDocument(req, res, 200, Buffer.from(JSON.stringify(value)), { 'Content-Type': 'application/json; charset=utf-8', ...headers })
}
