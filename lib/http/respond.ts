// Small response helpers shared by the console API and the registry API.
import type { ServerResponse } from 'node:http'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message)
  }
}

/** JSON with BigInt sizes written as numbers (sizes stay far below 2^53). */
export function toJson(value: unknown): string {
  // A replacer runs JS for every value (an upload's 10,000 tag results took >100 ms of blocked event
  // loop); most bodies hold no BigInt, so try the native path first.
  try {
    return JSON.stringify(value)
  } catch (e) {
    if (!(e instanceof TypeError) || !/BigInt/i.test(e.message)) throw e
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = Buffer.from(toJson(body))
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(text.length), 'Cache-Control': 'no-store', ...headers })
  res.end(text)
}

export function sendConsoleError(res: ServerResponse, e: ApiError) {
  sendJson(res, e.status, { error: { code: e.code, message: e.message, ...(e.detail !== undefined ? { detail: e.detail } : {}) } })
}
