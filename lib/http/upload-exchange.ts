// The HTTP side of one archive upload: gives the importer a stream of its own (so a rejection can stop
// the import without closing the connection), turns a client that went away or fell silent into an
// abort, and delivers every rejection as its JSON error, even one found while the body still arrives.
import { PassThrough, type Readable } from 'node:stream'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ImportError, isImportError } from '../archive/import-error'
import { toJson, sendJson } from './respond'
import { idleClosure } from './idle-watchdog'
import { drainRequest, type DrainEnd } from './drain-request'
import { noteForLog, holdLogUntil } from './request-log'
import { httpSettings, type HttpSettings } from './http-settings'

/** What the importer reads from; as large as one socket read so it adds no pause per chunk. */
const BODY_HIGH_WATER_MARK = 256 * 1024

export async function runUploadExchange(
  req: IncomingMessage,
  res: ServerResponse,
  settings: Partial<HttpSettings> | undefined,
  run: (body: Readable, signal: AbortSignal) => Promise<unknown>,
  /** 201 for an import; 200 for a dry run, which creates nothing */
  successStatus = 201,
) {
  const { rejectDrainBytes } = httpSettings(settings)
  const aborted = new AbortController()
  const body = new PassThrough({ highWaterMark: BODY_HIGH_WATER_MARK })
  req.pipe(body)
  // 'close' on the request before it ended = the client went away (or the idle watchdog closed it).
  req.on('close', () => {
    if (req.complete) return
    const idleMs = idleClosure(req)
    aborted.abort(
      idleMs === undefined
        ? undefined
        : new ImportError(
            'CLIENT_IDLE',
            `the client sent nothing for ${idleMs / 1000} s (STOWAGE_UPLOAD_IDLE_SECONDS), so the connection was closed; nothing was imported`,
            408,
          ),
    )
    body.destroy(new Error('aborted'))
  })
  // The importer stops reading (destroys its stream) as soon as it rejects the archive: from then on
  // the rest of the body is read and dropped, while the importer removes what it staged.
  let drained: Promise<DrainEnd> | null = null
  body.once('close', () => {
    if (!req.complete && !aborted.signal.aborted) drained = drainRequest(req, rejectDrainBytes)
  })

  const importing = run(body, aborted.signal)
  holdLogUntil(res, importing)
  try {
    sendJson(res, successStatus, await importing)
  } catch (e) {
    if (!isImportError(e)) {
      body.destroy() // a server fault before the importer took the body: still read and drop the rest
      throw e
    }
    noteForLog(res, e.code)
    if (aborted.signal.aborted || res.destroyed) return void res.destroy()
    const answer = { error: { code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) } }
    if (req.complete) return sendJson(res, e.status, answer)
    await answerWhileReceiving(res, e.status, answer, drained ?? drainRequest(req, rejectDrainBytes))
  }
}

/**
 * Sends the whole answer at once (clients that read while sending, like curl, stop sending), but ends
 * the exchange only when the body is drained: `Connection: close` then closes the connection cleanly.
 * Past the drain bound the connection closes with bytes unread, and some clients then see a reset.
 */
async function answerWhileReceiving(res: ServerResponse, status: number, answer: unknown, drained: Promise<DrainEnd>) {
  const text = Buffer.from(toJson(answer))
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(text.length),
    'Cache-Control': 'no-store',
    Connection: 'close',
  })
  res.write(text)
  await drained
  if (!res.destroyed) res.end()
}
