// The tus 1.0.0 headers (https://tus.io/protocols/resumable-upload): parsed strictly, so a malformed
// request gets a 400 that names the header instead of a session in a strange state.
import { ApiError } from '../http/respond'

export const TUS_VERSION = '1.0.0'
export const TUS_EXTENSIONS = 'creation,termination'
export const TUS_CONTENT_TYPE = 'application/offset+octet-stream'

/** Headers every tus answer carries (browsers may only read the ones listed as exposed). */
export const tusHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  'Tus-Resumable': TUS_VERSION,
  'Cache-Control': 'no-store',
  ...extra,
})

/** A non-negative integer header (Upload-Length, Upload-Offset); absent → null. */
export function byteCountHeader(value: string | string[] | undefined, header: string): number | null {
  if (value === undefined) return null
  const text = Array.isArray(value) ? value[0] : value
  if (!/^\d{1,16}$/.test(text.trim())) throw new ApiError(400, 'HEADER_INVALID', `${header} must be a whole number of bytes, not "${text.slice(0, 40)}"`)
  const n = Number(text.trim())
  if (!Number.isSafeInteger(n)) throw new ApiError(400, 'HEADER_INVALID', `${header} is too large`)
  return n
}

/**
 * Upload-Metadata: comma-separated `key base64value` pairs (the value may be absent). Keys are unique
 * ASCII without spaces or commas.
 */
export function parseUploadMetadata(value: string | string[] | undefined): Record<string, string> {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  const out: Record<string, string> = {}
  if (!text) return out
  if (text.length > 8192) throw new ApiError(400, 'HEADER_INVALID', 'Upload-Metadata is longer than 8192 characters')
  for (const pair of text.split(',')) {
    const [key, encoded, ...rest] = pair.trim().split(' ')
    if (!key || rest.length || !/^[\x21-\x7e]+$/.test(key)) throw new ApiError(400, 'HEADER_INVALID', `Upload-Metadata has a malformed pair "${pair.trim().slice(0, 40)}"`)
    if (key in out) throw new ApiError(400, 'HEADER_INVALID', `Upload-Metadata names "${key}" twice`)
    if (encoded !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new ApiError(400, 'HEADER_INVALID', `Upload-Metadata value of "${key}" is not base64`)
    out[key] = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : ''
  }
  return out
}
