// Reads the first bytes of a stream without losing them: returns the head and a stream that replays it.
import { PassThrough, type Readable } from 'node:stream'

/** The error a stream died of, if it is already dead (it may have died before anyone listened). */
export function deadStreamError(s: Readable): Error | null {
  if (s.errored) return s.errored as Error
  if (s.destroyed && !s.readableEnded) return new Error('stream closed before its end')
  return null
}

export async function peekStream(source: Readable, want: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = []
  let length = 0
  while (length < want) {
    const dead = deadStreamError(source)
    if (dead) throw dead
    const chunk: Buffer | null = source.read()
    if (chunk !== null) {
      chunks.push(chunk)
      length += chunk.length
      continue
    }
    if (source.readableEnded) break
    const ended = await new Promise<boolean>((resolve, reject) => {
      const cleanup = () => {
        source.off('readable', onReadable)
        source.off('end', onEnd)
        source.off('error', onError)
        source.off('close', onClose)
      }
      const onReadable = () => (cleanup(), resolve(false))
      const onEnd = () => (cleanup(), resolve(true))
      const onError = (e: Error) => (cleanup(), reject(e))
      const onClose = () => (cleanup(), source.readableEnded ? resolve(true) : reject(deadStreamError(source) ?? new Error('stream closed before its end')))
      source.once('readable', onReadable)
      source.once('end', onEnd)
      source.once('error', onError)
      source.once('close', onClose)
    })
    if (ended) break
  }
  const head = Buffer.concat(chunks)
  const replay = new PassThrough({ highWaterMark: 1024 * 1024 })
  if (head.length) replay.write(head)
  source.on('error', (e) => replay.destroy(e))
  replay.on('close', () => {
    if (!source.readableEnded) source.destroy()
  })
  source.pipe(replay)
  return { head, stream: replay }
}
