// Reads an index object back, line by line, streaming (gunzip on libuv's pool, one chunk of text at a
// time). `visit` runs synchronously per line; the lines of one chunk are handled between awaits, so a
// 200,000-entry index never blocks the event loop for long. A line prefix lets callers skip lines
// outside a directory without JSON.parse: every line starts with {"p":"<path>.
import zlib from 'node:zlib'
import { StringDecoder } from 'node:string_decoder'
import type { Services } from '../services'

/**
 * The text of an index object in runs of whole lines (each ending in a newline), as it is decompressed;
 * `chunkSize` bounds each run (the caller's synchronous work between awaits).
 */
export async function* indexTextRuns(services: Services, objectKey: string, chunkSize = 256 * 1024): AsyncGenerator<string> {
  const body = await services.store.read(objectKey)
  const gunzip = zlib.createGunzip({ chunkSize })
  body.on('error', (e) => gunzip.destroy(e))
  body.pipe(gunzip)
  const decoder = new StringDecoder('utf8')
  let rest = ''
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk)
      const last = text.lastIndexOf('\n')
      if (last === -1) {
        rest = text
        continue
      }
      rest = text.slice(last + 1)
      yield text.slice(0, last + 1)
    }
  } finally {
    gunzip.destroy()
    body.destroy()
  }
  rest += decoder.end()
  if (rest) yield rest + '\n'
}

/** Calls `visit` with runs of whole lines (each ending in a newline), as they are decompressed. */
export async function scanIndexText(services: Services, objectKey: string, visit: (lines: string) => void): Promise<void> {
  for await (const text of indexTextRuns(services, objectKey)) visit(text)
}

export async function scanIndex(services: Services, objectKey: string, visit: (line: string) => void): Promise<void> {
  await scanIndexText(services, objectKey, (text) => {
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      visit(text.slice(start, nl))
      start = nl + 1
    }
  })
}

/**
 * Path, type and size of an index line without JSON.parse (a directory's totals need only these, for
 * every entry below it). Relies on the field order entryLine writes: {"p":…,"t":…,"s":….
 */
export function lineHead(line: string): { p: string; t: string; s: number } {
  let i = 6
  let escaped = false
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === 92) {
      escaped = true
      i++
    } else if (c === 34) break
  }
  const p = escaped ? (JSON.parse(line.slice(5, i + 1)) as string) : line.slice(6, i)
  const tStart = i + 7
  const tEnd = line.indexOf('"', tStart)
  const sStart = tEnd + 6
  let sEnd = sStart
  while (sEnd < line.length && line.charCodeAt(sEnd) >= 48 && line.charCodeAt(sEnd) <= 57) sEnd++
  return { p, t: line.slice(tStart, tEnd), s: Number(line.slice(sStart, sEnd)) }
}

/** The start every index line of an entry at `path` or below it has (`path` ending in "/": below only). */
export const linePrefix = (path: string) => '{"p":' + JSON.stringify(path).slice(0, -1)
