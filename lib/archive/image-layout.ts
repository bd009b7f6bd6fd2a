// Turns the entries of an archive into verified image plans. Understands the legacy `docker save`
// layout (manifest.json + <id>/layer.tar), skopeo's docker-archive, Docker 25+ (OCI layout plus
// manifest.json) and plain OCI image layouts (index.json). Every name, size and digest the archive
// claims is checked against the bytes that actually arrived.
import { ImportError } from './import-error'
import { ArchiveMessage } from './archive-messages'
import { normalizeReference } from './archive-path'
import { parseBoundedJson } from './bounded-json'
import { sha256 } from './digest-stream'
import type { ArchiveContents, ArchiveEntry } from './archive-reader'
import type { StagedBlob } from './staged-blob'
import type { Limits } from '../config'
import { DIGEST } from '../registry/names'

export type LayerSource =
  | { kind: 'blob'; staged: StagedBlob }
  | { kind: 'doc'; bytes: Buffer } // a small uncompressed layer still in memory

export type PlannedLayer = {
  path: string
  diffId: string // sha256 of the uncompressed layer = its digest in this registry
  size: number // uncompressed bytes
  sourceDigest: string | null // digest of the compressed form inside the archive, if it was compressed
  entryBytes: number // bytes the layer took in the archive
  source: LayerSource
}

export type Platform = { os: string | null; architecture: string | null; variant: string | null }

export type ImagePlan = {
  refs: string[] // full references found in the archive (may be empty)
  tagHint: string | null // a bare tag from an OCI ref.name annotation
  config: { bytes: Buffer; digest: string; entryBytes: number; json: any }
  layers: PlannedLayer[]
  platform: Platform
}

const MEDIA_OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const MEDIA_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'

const MEDIA_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const MEDIA_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const STORABLE_MANIFESTS = new Set([MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST])
const UNCOMPRESSED_LAYERS = new Set(['application/vnd.oci.image.layer.v1.tar', 'application/vnd.docker.image.rootfs.diff.tar'])

/** Real multi-platform images have a handful of platforms (Docker Hub's largest: ~15 with attestations). */
export const MAX_INDEX_PLATFORMS = 128

type Json = Record<string, any>

/** One child of a multi-platform index, as the archive holds it. */
export type IndexChildPlan = {
  image: ImagePlan
  /** the child's manifest exactly as in the archive (digest and size verified) */
  manifest: { bytes: Buffer; digest: string; mediaType: string }
  /** every layer arrived uncompressed with a tar media type: the manifest can be stored byte-exact */
  storableAsIs: boolean
}

/** An OCI layout whose index.json names ONE image index (docker save of a multi-platform image, skopeo copy --all). */
export type IndexPlan = {
  refs: string[]
  tagHint: string | null
  index: { bytes: Buffer; digest: string; mediaType: string; json: Json }
  children: IndexChildPlan[]
}

/**
 * The archive as one multi-platform image, or null when it is something else (no index.json, several
 * entries, a single image, a child not in the archive: those keep the per-image import of planImages).
 */
export function planMultiPlatformIndex(contents: ArchiveContents, limits: Limits): IndexPlan | null {
  if (!contents.entries.has('index.json')) return null
  return new LayoutContext(contents, limits).planIndex()
}

export function planImages(contents: ArchiveContents, limits: Limits): ImagePlan[] {
  const ctx = new LayoutContext(contents, limits)
  if (contents.entries.has('manifest.json')) return ctx.planDockerArchive()
  if (contents.entries.has('index.json')) return ctx.planOciLayout()
  throw new ImportError('LAYOUT_UNKNOWN', ArchiveMessage.layoutUnknown)
}

class LayoutContext {
  constructor(
    private contents: ArchiveContents,
    private limits: Limits,
  ) {}

  /** Follows symlinks and hard links inside the archive to the entry holding the bytes. */
  resolve(path: string, what: string): ArchiveEntry | undefined {
    let current = this.contents.entries.get(path)
    for (let hops = 0; current && (current.kind === 'symlink' || current.kind === 'hardlink'); hops++) {
      if (hops > 16) throw new ImportError('REFERENCE_INVALID', `${what} "${path}" is a loop of links`)
      current = this.contents.entries.get(current.target)
    }
    return current
  }

  json(path: string, what: string): any {
    const entry = this.resolve(path, what)
    if (!entry) return undefined
    if (entry.kind !== 'doc') throw new ImportError('JSON_TOO_LARGE', `${what} "${path}" is not a small JSON document`, 413)
    return parseBoundedJson(entry.bytes, path, this.limits)
  }

  planDockerArchive(): ImagePlan[] {
    const manifest = this.json('manifest.json', 'manifest')
    if (!Array.isArray(manifest)) {
      throw new ImportError('MANIFEST_INVALID', `manifest.json must be a list of images, but it is ${manifest === null ? 'null' : typeof manifest}`)
    }
    if (manifest.length === 0) throw new ImportError('MANIFEST_INVALID', 'manifest.json lists no images')
    return manifest.map((item: Json, i: number) => {
      const what = `manifest.json image ${i + 1}`
      if (!item || typeof item !== 'object' || Array.isArray(item)) throw new ImportError('MANIFEST_INVALID', `${what} is not an object`)
      const configPath = normalizeReference(item.Config, `${what} Config`)
      if (!Array.isArray(item.Layers)) throw new ImportError('MANIFEST_INVALID', `${what} has no Layers list`)
      const layerPaths = item.Layers.map((l: unknown, j: number) => normalizeReference(l, `${what} layer ${j + 1}`))
      const tags = item.RepoTags ?? []
      if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
        throw new ImportError('MANIFEST_INVALID', `${what} RepoTags must be a list of strings`)
      }
      const config = this.config(configPath, digestFromPath(configPath))
      const layers = this.layers(config.json, layerPaths.map((p: string) => ({ path: p, rawDigest: p.startsWith('blobs/') ? digestFromPath(p) : null, rawSize: null })))
      return { refs: tags, tagHint: null, config, layers, platform: platformOf(config.json) }
    })
  }

  planOciLayout(): ImagePlan[] {
    const index = this.json('index.json', 'OCI index')
    if (!index || typeof index !== 'object' || !Array.isArray(index.manifests)) {
      throw new ImportError('MANIFEST_INVALID', 'index.json must be an OCI image index with a "manifests" list')
    }
    const plans: ImagePlan[] = []
    const visit = (idx: Json, depth: number, inherited: Json) => {
      for (const desc of idx.manifests as Json[]) {
        const annotations = { ...inherited, ...(desc?.annotations ?? {}) }
        const doc = this.descriptorJson(desc, 'index.json manifest')
        const mediaType = desc.mediaType ?? doc.mediaType
        if (mediaType === MEDIA_OCI_INDEX || mediaType === MEDIA_DOCKER_LIST || Array.isArray(doc.manifests)) {
          if (depth >= 4) throw new ImportError('MANIFEST_INVALID', 'index.json nests image indexes deeper than 4 levels')
          visit(doc, depth + 1, annotations)
        } else {
          plans.push(this.planOciManifest(doc, annotations, desc.platform))
        }
      }
    }
    visit(index, 0, {})
    if (!plans.length) throw new ImportError('MANIFEST_INVALID', 'index.json lists no images')
    return plans
  }

  planIndex(): IndexPlan | null {
    const top = this.json('index.json', 'OCI index')
    if (!top || typeof top !== 'object' || !Array.isArray(top.manifests) || top.manifests.length !== 1) return null
    const desc = top.manifests[0] as Json
    const entry = this.docAt(desc)
    if (!entry) return null
    verifyBytes(entry.bytes, desc.digest, desc.size, `the image index ${desc.digest}`)
    const doc = parseBoundedJson(entry.bytes, blobPath(desc.digest), this.limits) as Json
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.manifests) || doc.manifests.length === 0) return null
    if (doc.manifests.length > MAX_INDEX_PLATFORMS) {
      throw new ImportError('MANIFEST_INVALID', `the image index lists ${doc.manifests.length} platform images; at most ${MAX_INDEX_PLATFORMS} are accepted`, 413)
    }
    // Every child must be an image manifest that is in the archive; otherwise fall back to the images it carries.
    const childDocs: { desc: Json; entry: { bytes: Buffer }; json: Json }[] = []
    for (const child of doc.manifests as Json[]) {
      const childEntry = this.docAt(child)
      if (!childEntry) return null
      const json = parseBoundedJson(childEntry.bytes, blobPath(child.digest), this.limits) as Json
      if (!json || typeof json !== 'object' || Array.isArray(json.manifests) || !json.config) return null
      childDocs.push({ desc: child, entry: childEntry, json })
    }
    const children = childDocs.map(({ desc: child, entry: childEntry, json }, i): IndexChildPlan => {
      verifyBytes(childEntry.bytes, child.digest, child.size, `platform manifest ${i + 1} of the image index`)
      const image = this.planOciManifest(json, {}, child.platform)
      const tarLayers = (json.layers as Json[]).every((l) => UNCOMPRESSED_LAYERS.has(l?.mediaType))
      const mediaType = child.mediaType ?? json.mediaType ?? MEDIA_OCI_MANIFEST
      return {
        image,
        manifest: { bytes: childEntry.bytes, digest: child.digest, mediaType },
        storableAsIs: tarLayers && image.layers.every((l) => l.sourceDigest === null) && STORABLE_MANIFESTS.has(mediaType),
      }
    })
    const { refs, tagHint } = namesFrom(desc.annotations ?? {})
    const mediaType = typeof desc.mediaType === 'string' ? desc.mediaType : typeof doc.mediaType === 'string' ? doc.mediaType : MEDIA_OCI_INDEX
    return { refs, tagHint, index: { bytes: entry.bytes, digest: desc.digest, mediaType, json: doc }, children }
  }

  /** The small document a descriptor names, or undefined when the archive does not hold it. */
  docAt(desc: unknown): { bytes: Buffer } | undefined {
    const d = desc as Json
    if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || !DIGEST.test(d.digest) || !Number.isSafeInteger(d.size)) return undefined
    const entry = this.resolve(blobPath(d.digest), 'manifest')
    return entry?.kind === 'doc' ? entry : undefined
  }

  planOciManifest(manifest: Json, annotations: Json, platform: Json | undefined): ImagePlan {
    if (!manifest.config || !Array.isArray(manifest.layers)) {
      throw new ImportError('MANIFEST_INVALID', 'an image manifest in the OCI layout has no config or layers')
    }
    const configDesc = checkDescriptor(manifest.config, 'image config')
    const config = this.config(blobPath(configDesc.digest), configDesc.digest, configDesc.size)
    const layers = this.layers(
      config.json,
      manifest.layers.map((d: Json, i: number) => {
        const desc = checkDescriptor(d, `layer ${i + 1}`)
        return { path: blobPath(desc.digest), rawDigest: desc.digest, rawSize: desc.size }
      }),
    )
    const { refs, tagHint } = namesFrom(annotations)
    const fromConfig = platformOf(config.json)
    return {
      refs,
      tagHint,
      config,
      layers,
      platform: {
        os: fromConfig.os ?? platform?.os ?? null,
        architecture: fromConfig.architecture ?? platform?.architecture ?? null,
        variant: fromConfig.variant ?? platform?.variant ?? null,
      },
    }
  }

  descriptorJson(desc: unknown, what: string): Json {
    const d = checkDescriptor(desc, what)
    const path = blobPath(d.digest)
    const entry = this.resolve(path, what)
    if (!entry) throw new ImportError('MANIFEST_INVALID', `${what} ${d.digest} is not in the archive (expected ${path})`)
    if (entry.kind !== 'doc') throw new ImportError('JSON_TOO_LARGE', `${what} ${d.digest} is not a small JSON document`, 413)
    verifyBytes(entry.bytes, d.digest, d.size, `${what} ${path}`)
    const doc = parseBoundedJson(entry.bytes, path, this.limits)
    if (!doc || typeof doc !== 'object') throw new ImportError('MANIFEST_INVALID', `${what} ${path} is not a JSON object`)
    return doc as Json
  }

  config(path: string, expectedDigest: string | null, expectedSize: number | null = null) {
    const entry = this.resolve(path, 'config')
    if (!entry) throw new ImportError('CONFIG_MISSING', ArchiveMessage.configMissing(path))
    if (entry.kind === 'special') throw new ImportError('CONFIG_INVALID', `the image config "${path}" is a ${entry.type}, not a file`)
    if (entry.kind !== 'doc') throw new ImportError('CONFIG_INVALID', `the image config "${path}" is not a JSON document of at most ${this.limits.maxJsonBytes} bytes`)
    const digest = sha256(entry.bytes)
    if (expectedDigest) verifyBytes(entry.bytes, expectedDigest, expectedSize, `image config "${path}"`)
    const json = parseBoundedJson(entry.bytes, path, this.limits) as Json
    if (!json || typeof json !== 'object' || !json.rootfs || !Array.isArray(json.rootfs.diff_ids)) {
      throw new ImportError('CONFIG_INVALID', `the image config "${path}" has no rootfs.diff_ids list`)
    }
    for (const d of json.rootfs.diff_ids) {
      if (typeof d !== 'string' || !DIGEST.test(d)) throw new ImportError('CONFIG_INVALID', `the image config "${path}" lists an invalid diff_id ${JSON.stringify(d)}`)
    }
    return { bytes: entry.bytes, digest, entryBytes: entry.entryBytes, json }
  }

  layers(config: Json, refs: { path: string; rawDigest: string | null; rawSize: number | null }[]): PlannedLayer[] {
    const diffIds: string[] = config.rootfs.diff_ids
    if (diffIds.length !== refs.length) {
      throw new ImportError('LAYER_COUNT_MISMATCH', `the manifest lists ${refs.length} layers but the config's rootfs has ${diffIds.length} diff_ids`)
    }
    return refs.map((ref, i) => {
      const entry = this.resolve(ref.path, 'layer')
      if (!entry) throw new ImportError('LAYER_MISSING', ArchiveMessage.layerMissing(i + 1, ref.path))
      if (entry.kind === 'special') throw new ImportError('LAYER_NOT_REGULAR', `layer ${i + 1} "${ref.path}" is a ${entry.type}, not a file`)
      if (entry.kind !== 'doc' && entry.kind !== 'blob') throw new ImportError('LAYER_MISSING', `layer ${i + 1} "${ref.path}" cannot be resolved`)
      const facts =
        entry.kind === 'blob'
          ? entry.staged
          : { rawDigest: sha256(entry.bytes), rawSize: entry.bytes.length, digest: sha256(entry.bytes), size: entry.bytes.length, compression: 'none' }
      if (facts.digest !== diffIds[i]) {
        throw new ImportError(
          'LAYER_DIGEST_MISMATCH',
          `layer ${i + 1} "${ref.path}" has sha256 ${facts.digest}, but the config says its diff_id is ${diffIds[i]}: the layer is corrupt or does not belong to this image`,
        )
      }
      if (ref.rawDigest) verifyDigest(facts.rawDigest, facts.rawSize, ref.rawDigest, ref.rawSize, `layer ${i + 1} "${ref.path}"`)
      return {
        path: ref.path,
        diffId: facts.digest,
        size: facts.size,
        sourceDigest: facts.compression === 'none' ? null : facts.rawDigest,
        entryBytes: entry.entryBytes,
        source: entry.kind === 'blob' ? { kind: 'blob', staged: entry.staged } : { kind: 'doc', bytes: entry.bytes },
      }
    })
  }
}

/** The name an index.json entry gives its image: a full reference, or only a tag. */
function namesFrom(annotations: Json): { refs: string[]; tagHint: string | null } {
  const fullName = annotations['io.containerd.image.name']
  const refName = annotations['org.opencontainers.image.ref.name']
  if (typeof fullName === 'string' && fullName) return { refs: [fullName], tagHint: null }
  if (typeof refName === 'string' && refName) {
    // ref.name is either a full reference (skopeo) or just a tag (Docker, buildah)
    return /[/:]/.test(refName) ? { refs: [refName], tagHint: null } : { refs: [], tagHint: refName }
  }
  return { refs: [], tagHint: null }
}

function checkDescriptor(d: unknown, what: string): { digest: string; size: number; mediaType?: string } {
  const desc = d as Json
  if (!desc || typeof desc !== 'object' || typeof desc.digest !== 'string' || !DIGEST.test(desc.digest)) {
    throw new ImportError('MANIFEST_INVALID', `${what} has no valid sha256 digest`)
  }
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new ImportError('MANIFEST_INVALID', `${what} ${desc.digest} has no valid size`)
  return desc as any
}

const blobPath = (digest: string) => `blobs/${digest.replace(':', '/')}`

/** Names like "blobs/sha256/<hex>" and "<hex>.json" carry the digest of their content. */
function digestFromPath(path: string): string | null {
  const m = /^(?:blobs\/sha256\/)?([a-f0-9]{64})(?:\.json|\.tar)?$/.exec(path)
  return m ? `sha256:${m[1]}` : null
}

function verifyBytes(bytes: Buffer, digest: string, size: number | null, what: string) {
  verifyDigest(sha256(bytes), bytes.length, digest, size, what)
}

function verifyDigest(actual: string, actualSize: number, expected: string, expectedSize: number | null, what: string) {
  if (expectedSize !== null && actualSize !== expectedSize) {
    throw new ImportError('DIGEST_MISMATCH', `${what} is ${actualSize} bytes, but the archive says ${expectedSize}`)
  }
  if (actual !== expected) throw new ImportError('DIGEST_MISMATCH', `${what} has sha256 ${actual}, but the archive names it ${expected}`)
}

function platformOf(config: Json): Platform {
  const s = (v: unknown) => (typeof v === 'string' && v ? v : null)
  return { os: s(config.os), architecture: s(config.architecture), variant: s(config.variant) }
}
