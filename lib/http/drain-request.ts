// After an upload is rejected while its body is still arriving: read and discard the rest (nothing is
// stored), up to a bound. A server that closes a connection with unread request bytes makes the kernel
// reset it, and the client may then lose the answer already sent (curl: "Empty reply from server",
// browsers: a network error); once the body is read, the close is clean and the client sees the error.
import type { IncomingMessage } from 'node:http'

export type DrainEnd = 'ended' | 'limit' | 'closed'

export function drainRequest(req: IncomingMessage, maxBytes: number): Promise<DrainEnd> {
  return new Promise((resolve) => {
    if (req.complete) return resolve('ended')
    let read = 0
    const finish = (how: DrainEnd) => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('close', onClose)
      if (how === 'limit') req.pause()
      resolve(how)
    }
    const onData = (chunk: Buffer) => {
      read += chunk.length
      if (read > maxBytes) finish('limit')
    }
    const onEnd = () => finish('ended')
    const onClose = () => finish(req.complete ? 'ended' : 'closed')
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('close', onClose)
    req.resume()
  })
}
