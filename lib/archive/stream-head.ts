// Reads the first bytes of a stream without losing them: returns the head and a stream that replays it.
import { PassThrough, type Readable } from 'node:stream'

export async function peekStream(source: Readable, want: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = []
  let length = 0
  while (length < want) {
    const chunk: Buffer | null = source.read()
    if (chunk !== null) {
      chunks.push(chunk)
      length += chunk.length
      continue
    }
    if (source.readableEnded) break
    const ended = await new Promise<boolean>((resolve, reject) => {
      const done = (v: boolean) => {
        source.off('readable', onReadable)
        source.off('end', onEnd)
        source.off('error', onError)
        resolve(v)
      }
      const onReadable = () => done(false)
      const onEnd = () => done(true)
      const onError = (e: Error) => {
        source.off('readable', onReadable)
        source.off('end', onEnd)
        reject(e)
      }
      source.once('readable', onReadable)
      source.once('end', onEnd)
      source.once('error', onError)
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
