// The OCI image manifest recorded for an imported image: uncompressed layers, exactly as stored,
// so `docker pull` receives the same config (same image ID) and the same diff_ids. Its text comes
// from archive/preview-manifest.ts, which the browser's upload preview hashes too.
import { sha256 } from '../archive/digest-stream'
import { imageManifestText, type Descriptor } from '../archive/preview-manifest'

export type { Descriptor }

export function buildImageManifest(config: Descriptor, layers: Descriptor[]): { bytes: Buffer; digest: string } {
  const bytes = Buffer.from(imageManifestText(config, layers))
  return { bytes, digest: sha256(bytes) }
}
