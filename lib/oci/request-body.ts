// Reads a small request body (a manifest) into memory, refusing more than `limit` bytes.
import type { IncomingMessage } from 'node:http'
import { OciError } from './errors'

export async function readSmallBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const tooLarge = () => new OciError('SIZE_INVALID', `the ${what} is larger than the limit of ${limit} bytes`, { status: 413, detail: { limit } })
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > limit) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
