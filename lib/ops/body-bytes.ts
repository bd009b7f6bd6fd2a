// Counts the body bytes a request delivered, whoever reads them (an importer, a chunk writer, a drain)
// and even when nobody does. Node's HTTP parser hands every decoded body chunk (chunked framing removed)
// to the request's push(): counting there is exact and leaves the stream's flow untouched, where a
// 'data' listener would switch a request that a handler reads later into flowing mode and lose bytes.
// Must be called before the handler runs (the parser pushes the first chunk right after 'request').
import type { IncomingMessage } from 'node:http'

export function countBodyBytes(req: IncomingMessage): () => number {
  let bytes = 0
  const push = req.push
  req.push = function (chunk: any, encoding?: BufferEncoding) {
    if (chunk) bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk.length
    return push.call(this, chunk, encoding)
  }
  return () => bytes
}
