// Reads an index object back, line by line, streaming (gunzip on libuv's pool, one chunk of text at a
// time). `visit` runs synchronously per line; the lines of one chunk are handled between awaits, so a
// 200,000-entry index never blocks the event loop for long. A line prefix lets callers skip lines
// outside a directory without JSON.parse: every line starts with {"p":"<path>.
import zlib from 'node:zlib'
import { StringDecoder } from 'node:string_decoder'
import type { Services } from '../services'

export async function scanIndex(services: Services, objectKey: string, visit: (line: string) => void): Promise<void> {
  const body = await services.store.read(objectKey)
  const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 })
  body.on('error', (e) => gunzip.destroy(e))
  body.pipe(gunzip)
  const decoder = new StringDecoder('utf8')
  let rest = ''
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk)
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      visit(text.slice(start, nl))
      start = nl + 1
    }
    rest = text.slice(start)
  }
  rest += decoder.end()
  if (rest) visit(rest)
}

/** The start every index line of an entry at `path` or below it has (`path` ending in "/": below only). */
export const linePrefix = (path: string) => '{"p":' + JSON.stringify(path).slice(0, -1)
