// One line per request (method, path without the query, status, bytes sent, duration), written when
// the exchange is over, plus a note a handler may attach (the code of a rejected upload).
import type { IncomingMessage, ServerResponse } from 'node:http'

export type LogLine = (line: string) => void

const notes = new WeakMap<ServerResponse, string>()
const held = new WeakMap<ServerResponse, Promise<unknown>>()

/** Adds a word to this request's log line (e.g. the error code an upload was rejected with). */
export function noteForLog(res: ServerResponse, note: string) {
  notes.set(res, note)
}

/** Delays the log line until `work` settles (a handler that learns its note after the client left). */
export function holdLogUntil(res: ServerResponse, work: Promise<unknown>) {
  held.set(res, work.catch(() => {}))
}

export function logRequest(req: IncomingMessage, res: ServerResponse, log: LogLine) {
  const started = process.hrtime.bigint()
  const socket = req.socket
  const written = socket.bytesWritten
  res.once('close', async () => {
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n)
    // the query may carry names or tokens: never logged
    const path = (req.url ?? '/').split('?')[0].slice(0, 300)
    const status = res.headersSent ? String(res.statusCode) : '-'
    const bytes = socket.bytesWritten - written
    // e.g. a client that stopped sending once it had read an early rejection, or one that vanished
    const end = res.writableFinished ? '' : ' (connection closed before the exchange ended)'
    await held.get(res)
    const note = notes.get(res)
    log(`${req.method} ${path} ${status} ${bytes}B ${ms}ms${note ? ` ${note}` : ''}${end}`)
  })
}
