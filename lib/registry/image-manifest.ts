// The OCI image manifest recorded for an imported image: uncompressed layers, exactly as stored,
// so `docker pull` receives the same config (same image ID) and the same diff_ids.
import { MediaType } from './media-types'
import { sha256 } from '../archive/digest-stream'

export type Descriptor = { digest: string; size: number }

export function buildImageManifest(config: Descriptor, layers: Descriptor[]): { bytes: Buffer; digest: string } {
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: MediaType.ociLayer, digest: l.digest, size: l.size })),
  }
  const bytes = Buffer.from(JSON.stringify(manifest))
  return { bytes, digest: sha256(bytes) }
}
