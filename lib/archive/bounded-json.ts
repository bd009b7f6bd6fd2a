// JSON from an archive is parsed only after a cheap scan proves it is small and shallow:
// a 50 MB document of nested arrays must not reach JSON.parse.
import { ImportError } from './import-error'
import { ArchiveMessage } from './archive-messages'

/** Maximum nesting depth of a JSON text, scanning bytes (strings are skipped). Stops early past `limit`. */
export function jsonDepthExceeds(bytes: Buffer, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]
    if (inString) {
      if (c === 0x5c) i++ // backslash escapes the next byte
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

export function parseBoundedJson(bytes: Buffer, name: string, limits: { maxJsonBytes: number; maxJsonDepth: number }): unknown {
  if (bytes.length > limits.maxJsonBytes) {
    throw new ImportError('JSON_TOO_LARGE', `${name} is ${bytes.length} bytes; JSON documents are limited to ${limits.maxJsonBytes} bytes`)
  }
  if (jsonDepthExceeds(bytes, limits.maxJsonDepth)) {
    throw new ImportError('JSON_TOO_DEEP', ArchiveMessage.jsonTooDeep(name, limits.maxJsonDepth))
  }
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (e) {
    throw new ImportError('JSON_INVALID', ArchiveMessage.jsonInvalid(name, (e as Error).message))
  }
}

/** True when the bytes start (after whitespace) like a JSON object or array. */
export function looksLikeJson(head: Buffer): boolean {
  for (const c of head) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue
    return c === 0x7b || c === 0x5b
  }
  return false
}
