// Closes a connection whose request body stops arriving. Total upload time stays unbounded
// (server.requestTimeout = 0); only silence counts, and only silence that is the client's doing:
// while the server itself is not reading (backpressure from the object store), bytes wait in the
// request's buffer and the clock does not run.
import type { IncomingMessage } from 'node:http'

const closedForIdleness = new WeakMap<IncomingMessage, number>()

/** The idle time (ms) after which the watchdog closed this request's connection, if it did. */
export function idleClosure(req: IncomingMessage): number | undefined {
  return closedForIdleness.get(req)
}

export function hasRequestBody(req: IncomingMessage) {
  const length = req.headers['content-length']
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined
}

export function watchBodyIdleness(req: IncomingMessage, idleMs: number) {
  if (!(idleMs > 0) || !hasRequestBody(req)) return
  const socket = req.socket
  let seenBytes = socket.bytesRead
  let lastProgress = Date.now()
  const tick = () => {
    if (req.complete || socket.destroyed) return stop()
    const now = Date.now()
    // new bytes, or bytes the server has not consumed yet: the client is not the one waiting
    if (socket.bytesRead !== seenBytes || req.readableLength > 0) {
      seenBytes = socket.bytesRead
      lastProgress = now
      return
    }
    if (now - lastProgress >= idleMs) {
      stop()
      closedForIdleness.set(req, idleMs)
      // as if the client had disconnected: the handler's abort path cleans up
      socket.destroy()
    }
  }
  const timer = setInterval(tick, Math.max(20, Math.min(1000, Math.floor(idleMs / 4))))
  timer.unref()
  const stop = () => clearInterval(timer)
  req.once('end', stop)
  req.once('close', stop)
}
