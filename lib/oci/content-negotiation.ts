// Which stored manifest a client may receive, from its Accept headers. Stowage serves manifests exactly
// as stored (no conversion), so negotiation only decides whether a tag's manifest is acceptable.
import { MediaType } from '../registry/media-types'

export const MANIFEST_MEDIA_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList]

/** The media types listed in all Accept headers, lower-case, without parameters. */
export function acceptedTypes(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header ? [header] : []
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.split(';')[0].trim().toLowerCase())
    .filter(Boolean)
}

/**
 * True unless the client named the manifest types it understands and the stored one is not among them
 * (as the reference registry does, a tag then answers MANIFEST_UNKNOWN). A client that names no manifest
 * type at all (curl, a browser) gets what is stored.
 */
export function clientAccepts(stored: string, accepted: string[]): boolean {
  if (!accepted.length) return true
  if (accepted.includes('*/*') || accepted.includes('application/*')) return true
  if (accepted.includes(stored.toLowerCase())) return true
  return !accepted.some((t) => MANIFEST_MEDIA_TYPES.includes(t))
}
