// The exact text of the OCI image manifest Stowage records for an imported image. Pure and
// browser-safe: the server hashes it when it commits (registry/image-manifest.ts) and the browser's
// preview hashes the same text (WebCrypto) to tell, before uploading, which digest a tag will get.
import { MediaType } from '../registry/media-types'

export type Descriptor = { digest: string; size: number }

export function imageManifestText(config: Descriptor, layers: Descriptor[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: MediaType.ociLayer, digest: l.digest, size: l.size })),
  })
}

/** "sha256:<hex>" of bytes, with WebCrypto (browsers, Node >= 19). */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
  const hash = await globalThis.crypto.subtle.digest('SHA-256', bytes as BufferSource)
  return 'sha256:' + Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, '0')).join('')
}
