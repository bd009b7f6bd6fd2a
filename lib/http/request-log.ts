// Notes a handler attaches to its request's log line (lib/ops/exchange.ts writes the line when the
// exchange is over): the code of a rejected upload, and work the line must wait for.
import type { ServerResponse } from 'node:http'

const notes = new WeakMap<ServerResponse, string>()
const held = new WeakMap<ServerResponse, Promise<unknown>>()

/** The code this request ended with (e.g. the error code an upload was rejected with): the line's `code`. */
export function noteForLog(res: ServerResponse, note: string) {
  notes.set(res, note)
}

/** Delays the log line until `work` settles (a handler that learns its note after the client left). */
export function holdLogUntil(res: ServerResponse, work: Promise<unknown>) {
  held.set(res, work.catch(() => {}))
}

export const noteOf = (res: ServerResponse) => notes.get(res)
export const heldWork = (res: ServerResponse) => held.get(res)
