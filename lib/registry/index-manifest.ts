// Which manifests an imported multi-platform image is stored with. Rule: a platform manifest is kept
// byte-exact (same digest) when all its layers arrived uncompressed with tar media types, because the
// registry stores exactly those bytes; otherwise it is the manifest imported images always get (OCI,
// uncompressed layer media types), whose digest differs from the archive's. The index is kept
// byte-exact when every child kept its digest; otherwise it is rebuilt: the same document with the new
// child descriptors (platforms and annotations kept), an OCI index, and so a new digest of its own.
import { MediaType } from './media-types'
import { sha256 } from '../archive/digest-stream'
import type { IndexPlan } from '../archive/image-layout'
import type { CommitImage } from './commit-import'
import type { CommitIndexChild } from './commit-index'

export type StoredIndex = {
  index: { bytes: Buffer; digest: string; mediaType: string }
  children: CommitIndexChild[]
  rebuilt: boolean
}

/** `prepared[i]` is plan.children[i] staged, with the manifest an imported image gets. */
export function storedIndexManifests(plan: IndexPlan, prepared: CommitImage[]): StoredIndex {
  const children = prepared.map((image, i): CommitIndexChild => {
    const original = plan.children[i]
    return original.storableAsIs
      ? { ...image, manifest: { bytes: original.manifest.bytes, digest: original.manifest.digest }, manifestMediaType: original.manifest.mediaType }
      : { ...image, manifestMediaType: MediaType.ociManifest }
  })
  const rebuilt = children.some((c, i) => c.manifest.digest !== plan.children[i].manifest.digest)
  if (!rebuilt) return { index: plan.index, children, rebuilt }
  const index = rebuildIndex(plan.index.json, children.map((c) => ({ mediaType: c.manifestMediaType, digest: c.manifest.digest, size: c.manifest.bytes.length })))
  return { index, children, rebuilt }
}

/** The same index document naming new child manifests (descriptor i replaced by children[i]; platforms, annotations kept). */
export function rebuildIndex(json: Record<string, any>, children: { mediaType: string; digest: string; size: number }[]) {
  const doc = structuredClone(json)
  doc.manifests = (doc.manifests as Record<string, unknown>[]).map((d, i) => ({ ...d, ...children[i] }))
  // a Docker manifest list cannot name OCI manifests: the rebuilt document is an OCI index
  doc.schemaVersion = 2
  doc.mediaType = MediaType.ociIndex
  const bytes = Buffer.from(JSON.stringify(doc))
  return { bytes, digest: sha256(bytes), mediaType: MediaType.ociIndex as string }
}

/** Index manifest media types (OCI image index, Docker manifest list). */
export const INDEX_MEDIA_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList])
