// The browser's reading of an archive before it is sent: which images and tags it holds, their
// platforms and layer counts, the manifest digest each tag will get, and which images have no name.
// Reads only headers and small JSON documents (File.slice); never a layer body (only its first bytes,
// to see whether it is compressed). Pure and browser-safe. The server still verifies everything.
import { ArchiveMessage, detectArchiveFormat } from './archive-messages'
import { BlobReader, PreviewRejection, walkTar, normalizeTarPath, DEFAULT_WALK_LIMITS, type BlobLike, type TarEntryInfo, type WalkLimits } from './preview-tar'
import { imageManifestText, sha256Hex, type Descriptor } from './preview-manifest'
import { parseImageReference, NameError, DIGEST, type ImageName } from '../registry/names'

export type PreviewImage = {
  /** the names (repository:tag) the archive gives the image, deduplicated */
  names: ImageName[]
  /** a bare tag from an OCI ref.name annotation: the tag to suggest when naming the image */
  tagHint: string | null
  platform: string | null
  layers: number
  configDigest: string | null
  /** the manifest digest the server will record, or null when it cannot be known before the upload */
  manifestDigest: string | null
  /** why manifestDigest (or more) is unknown: the server answers after the upload */
  unknown: string | null
}

export type ArchivePreview =
  | { kind: 'rejected'; code: string; message: string }
  | { kind: 'compressed'; format: string; message: string }
  | {
      kind: 'images'
      layout: 'docker-save' | 'oci-layout'
      images: PreviewImage[]
      /** images listed by the archive but not read (beyond maxImages) */
      unread: number
      /**
       * A multi-platform archive (index.json naming ONE image index): the server stores it as one index
       * that the names point to; `images` are its platform images. The index digest the server records
       * is known only after the upload.
       */
      index?: { names: ImageName[]; tagHint: string | null }
    }

export type PreviewLimits = WalkLimits & { maxJsonBytes: number; maxJsonDepth: number; maxImages: number }
export const DEFAULT_PREVIEW_LIMITS: PreviewLimits = { ...DEFAULT_WALK_LIMITS, maxJsonBytes: 4 * 1024 * 1024, maxJsonDepth: 64, maxImages: 500 }

export const COMPRESSED_NOTE =
  'this archive is gzip-compressed: the browser cannot read what it holds without unpacking all of it, so the server reports its images and tags after the upload'

export async function previewArchive(blob: BlobLike, limits: PreviewLimits = DEFAULT_PREVIEW_LIMITS): Promise<ArchivePreview> {
  try {
    return await readPreview(blob, limits)
  } catch (e) {
    if (e instanceof PreviewRejection) return { kind: 'rejected', code: e.code, message: e.message }
    throw e
  }
}

async function readPreview(blob: BlobLike, limits: PreviewLimits): Promise<ArchivePreview> {
  if (blob.size === 0) return { kind: 'rejected', code: 'EMPTY_UPLOAD', message: ArchiveMessage.empty }
  const reader = new BlobReader(blob)
  const format = detectArchiveFormat(await reader.read(0, 512))
  if (format === 'zip') return { kind: 'rejected', code: 'NOT_A_TAR', message: ArchiveMessage.zip }
  if (format === 'gzip') return { kind: 'compressed', format, message: COMPRESSED_NOTE }
  if (format !== 'none') return { kind: 'rejected', code: 'UNSUPPORTED_COMPRESSION', message: ArchiveMessage.unsupportedCompression(format) }

  const entries = new Map<string, TarEntryInfo>()
  for (const e of await walkTar(reader, limits)) {
    if (e.type === 'directory' || e.path === '') continue
    // The server holds archive metadata files in memory and refuses oversized ones as they arrive.
    if (METADATA_FILES.has(e.path) && e.type === 'file' && e.size > limits.maxJsonBytes) {
      throw new PreviewRejection('JSON_TOO_LARGE', ArchiveMessage.jsonTooLarge(e.path, e.size, limits.maxJsonBytes))
    }
    entries.set(e.path, e)
  }
  const archive = new ArchiveView(reader, entries, limits)
  if (entries.has('manifest.json')) return archive.dockerSave()
  if (entries.has('index.json')) return archive.ociLayout()
  throw new PreviewRejection('LAYOUT_UNKNOWN', ArchiveMessage.layoutUnknown)
}

type Json = Record<string, any>
const METADATA_FILES = new Set(['manifest.json', 'index.json', 'repositories', 'oci-layout'])
type LayerRef = { path: string; digest: string | null; size: number | null }
const blobPath = (digest: string) => `blobs/${digest.replace(':', '/')}`
const platformText = (o: unknown, a: unknown, v: unknown) => [o, a, v].filter((x) => typeof x === 'string' && x).join('/') || null

/** A problem that makes one image's preview incomplete without making the whole file unreadable. */
class Unknown extends Error {}

class ArchiveView {
  private configs = new Map<string, Promise<{ digest: string; size: number; json: Json }>>()
  constructor(
    private reader: BlobReader,
    private entries: Map<string, TarEntryInfo>,
    private limits: PreviewLimits,
  ) {}

  /** Follows links to the entry holding the bytes: undefined when missing, null when not a regular file. */
  resolve(path: string): TarEntryInfo | undefined | null {
    let e = this.entries.get(path)
    for (let hops = 0; e && (e.type === 'symlink' || e.type === 'hardlink'); hops++) {
      if (hops > 16) return null
      e = e.linkTarget === null ? undefined : this.entries.get(e.linkTarget)
    }
    return e && e.type !== 'file' ? null : e
  }

  async bytes(path: string): Promise<Uint8Array> {
    const e = this.resolve(path)
    if (!e) throw new Unknown(`"${path}" is not ${e === null ? 'a regular file' : 'in the archive'}`)
    if (e.size > this.limits.maxJsonBytes) throw new Unknown(`"${path}" is larger than ${this.limits.maxJsonBytes} bytes`)
    return (await this.reader.read(e.offset, e.size)).slice()
  }

  /** Parses a JSON document; `strict` refuses the file as the server would (its metadata files). */
  json(bytes: Uint8Array, path: string, strict = false): any {
    const text = new TextDecoder().decode(bytes)
    if (depthExceeds(text, this.limits.maxJsonDepth)) {
      if (strict) throw new PreviewRejection('JSON_TOO_DEEP', ArchiveMessage.jsonTooDeep(path, this.limits.maxJsonDepth))
      throw new Unknown(`${path} nests deeper than ${this.limits.maxJsonDepth} levels`)
    }
    try {
      return JSON.parse(text)
    } catch (e) {
      if (strict) throw new PreviewRejection('JSON_INVALID', ArchiveMessage.jsonInvalid(path, (e as Error).message))
      throw new Unknown(`${path} is not valid JSON`)
    }
  }

  /** manifest.json or index.json: unparsable or too deep refused as the server refuses it; unreadable otherwise, MANIFEST_INVALID. */
  private async topLevelJson(path: string): Promise<unknown> {
    try {
      return this.json(await this.bytes(path), path, true)
    } catch (e) {
      if (e instanceof Unknown) throw new PreviewRejection('MANIFEST_INVALID', `${path} cannot be read: ${e.message}`)
      throw e
    }
  }

  async dockerSave(): Promise<ArchivePreview> {
    const manifest = await this.topLevelJson('manifest.json')
    if (!Array.isArray(manifest)) throw new PreviewRejection('MANIFEST_INVALID', `manifest.json must be a list of images, but it is ${manifest === null ? 'null' : typeof manifest}`)
    if (manifest.length === 0) throw new PreviewRejection('MANIFEST_INVALID', 'manifest.json lists no images')
    const read = manifest.slice(0, this.limits.maxImages)
    const images: PreviewImage[] = []
    for (const [i, item] of read.entries()) {
      images.push(
        await this.image([], null, async () => {
          const what = `manifest.json image ${i + 1}`
          if (!item || typeof item !== 'object' || Array.isArray(item)) throw new Unknown(`${what} is not an object`)
          const configPath = reference(item.Config, `${what} Config`)
          if (!Array.isArray(item.Layers)) throw new Unknown(`${what} has no Layers list`)
          const layers = item.Layers.map((l: unknown, j: number) => ({ path: reference(l, `${what} layer ${j + 1}`), digest: null, size: null }))
          const digestFromName = /^(?:blobs\/sha256\/)?([a-f0-9]{64})(?:\.json)?$/.exec(configPath)
          return { configPath, configDigest: digestFromName ? `sha256:${digestFromName[1]}` : null, layers, platform: null }
        }),
      )
    }
    // Names are checked after every image was read, as the server does (planImages, then nameImages).
    for (const [i, item] of read.entries()) {
      const tags = Array.isArray(item?.RepoTags) ? item.RepoTags.filter((t: unknown): t is string => typeof t === 'string') : []
      images[i].names = namesOf(tags)
    }
    return { kind: 'images', layout: 'docker-save', images, unread: manifest.length - read.length }
  }

  async ociLayout(): Promise<ArchivePreview> {
    const index: any = await this.topLevelJson('index.json')
    if (!index || typeof index !== 'object' || !Array.isArray(index.manifests)) {
      throw new PreviewRejection('MANIFEST_INVALID', 'index.json must be an OCI image index with a "manifests" list')
    }
    const images: PreviewImage[] = []
    const annotationsOf: Json[] = []
    let unread = 0
    const visit = async (idx: Json, depth: number, inherited: Json) => {
      for (const desc of idx.manifests as Json[]) {
        if (images.length >= this.limits.maxImages) {
          unread++
          continue
        }
        const annotations = { ...inherited, ...(desc?.annotations ?? {}) }
        const names: ImageName[] = []
        const tagHint = null
        let doc: Json | null = null
        try {
          doc = await this.descriptorJson(desc)
        } catch (e) {
          if (!(e instanceof Unknown)) throw e
          images.push({ names, tagHint, platform: null, layers: 0, configDigest: null, manifestDigest: null, unknown: e.message })
          annotationsOf.push(annotations)
          continue
        }
        if (desc.mediaType?.includes('index') || desc.mediaType?.includes('manifest.list') || Array.isArray(doc.manifests)) {
          if (depth < 4) await visit(doc, depth + 1, annotations)
          continue
        }
        const manifest = doc
        annotationsOf.push(annotations)
        images.push(
          await this.image(names, tagHint, async () => {
            if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new Unknown('an image manifest in the OCI layout has no config or layers')
            return {
              configPath: blobPath(String(manifest.config.digest)),
              configDigest: String(manifest.config.digest),
              layers: manifest.layers.map((l: Json) => ({ path: blobPath(String(l?.digest)), digest: l?.digest ?? null, size: Number.isSafeInteger(l?.size) ? l.size : null })),
              platform: desc.platform ?? null,
            }
          }),
        )
      }
    }
    await visit(index, 0, {})
    if (!images.length) throw new PreviewRejection('MANIFEST_INVALID', 'index.json lists no images')
    const top = index.manifests.length === 1 ? index.manifests[0] : null
    if (top && images.length > 0 && (await this.isIndex(top))) {
      return { kind: 'images', layout: 'oci-layout', images, unread, index: ociNames(top.annotations ?? {}) }
    }
    for (const [i, annotations] of annotationsOf.entries()) Object.assign(images[i], ociNames(annotations))
    return { kind: 'images', layout: 'oci-layout', images, unread }
  }

  /** Whether a descriptor names an image index (a multi-platform image) that is in the archive. */
  async isIndex(desc: Json): Promise<boolean> {
    try {
      const doc = await this.descriptorJson(desc)
      return Array.isArray(doc.manifests) && doc.manifests.length > 0
    } catch (e) {
      if (e instanceof Unknown) return false
      throw e
    }
  }

  async descriptorJson(desc: unknown): Promise<Json> {
    const d = desc as Json
    if (!d || typeof d.digest !== 'string' || !DIGEST.test(d.digest)) throw new Unknown('an index entry has no valid sha256 digest')
    const bytes = await this.bytes(blobPath(d.digest))
    if ((await sha256Hex(bytes)) !== d.digest) throw new Unknown(`${blobPath(d.digest)} does not match its digest`)
    const doc = this.json(bytes, blobPath(d.digest))
    if (!doc || typeof doc !== 'object') throw new Unknown(`${blobPath(d.digest)} is not a JSON object`)
    return doc
  }

  config(path: string) {
    let c = this.configs.get(path)
    if (!c) {
      c = (async () => {
        const bytes = await this.bytes(path)
        return { digest: await sha256Hex(bytes), size: bytes.length, json: this.json(bytes, path) }
      })()
      this.configs.set(path, c)
    }
    return c
  }

  /** Reads one image's config and layer headers; computes the manifest digest when it can. */
  async image(
    names: ImageName[],
    tagHint: string | null,
    describe: () => Promise<{ configPath: string; configDigest: string | null; layers: LayerRef[]; platform: Json | null }>,
  ): Promise<PreviewImage> {
    const out: PreviewImage = { names, tagHint, platform: null, layers: 0, configDigest: null, manifestDigest: null, unknown: null }
    try {
      const d = await describe()
      out.layers = d.layers.length
      out.platform = platformText(d.platform?.os, d.platform?.architecture, d.platform?.variant)
      const configEntry = this.resolve(d.configPath)
      if (configEntry === undefined) throw new PreviewRejection('CONFIG_MISSING', ArchiveMessage.configMissing(d.configPath))
      const config = await this.config(d.configPath)
      out.configDigest = config.digest
      out.platform = platformText(config.json?.os, config.json?.architecture, config.json?.variant) ?? out.platform
      if (d.configDigest && d.configDigest !== config.digest) throw new Unknown(`the image config "${d.configPath}" does not match its digest`)
      const diffIds: unknown = config.json?.rootfs?.diff_ids
      if (!Array.isArray(diffIds) || diffIds.some((x) => typeof x !== 'string' || !DIGEST.test(x))) throw new Unknown(`the image config "${d.configPath}" has no valid rootfs.diff_ids list`)
      if (diffIds.length !== d.layers.length) throw new Unknown(`the manifest lists ${d.layers.length} layers but the config has ${diffIds.length} diff_ids`)
      const layers: Descriptor[] = []
      for (const [i, ref] of d.layers.entries()) {
        const entry = this.resolve(ref.path)
        if (entry === undefined) throw new PreviewRejection('LAYER_MISSING', ArchiveMessage.layerMissing(i + 1, ref.path))
        if (entry === null) throw new Unknown(`layer ${i + 1} "${ref.path}" is not a regular file`)
        if (ref.size !== null && ref.size !== entry.size) throw new Unknown(`layer ${i + 1} "${ref.path}" is ${entry.size} bytes, but the manifest says ${ref.size}`)
        // Stowage stores layers uncompressed: a compressed layer's stored size is known only after inflating it.
        const head = await this.reader.read(entry.offset, Math.min(8, entry.size))
        if (detectArchiveFormat(head) !== 'none') throw new Unknown('its layers are compressed, so the new digest is known only once the server has unpacked them')
        layers.push({ digest: diffIds[i] as string, size: entry.size })
      }
      // The digest the server will record if every layer matches its diff_id (which it verifies).
      out.manifestDigest = await sha256Hex(imageManifestText({ digest: config.digest, size: config.size }, layers))
    } catch (e) {
      if (!(e instanceof Unknown)) throw e
      out.unknown = e.message
    }
    return out
  }
}

/** A path that manifest.json refers to, with the server's rules (normalizeReference). */
function reference(ref: unknown, what: string): string {
  if (typeof ref !== 'string' || ref === '') throw new Unknown(ArchiveMessage.referenceNotPath(what))
  if (ref.startsWith('/') || ref.split('/').includes('..')) throw new PreviewRejection('REFERENCE_INVALID', ArchiveMessage.referenceOutside(what, ref))
  return normalizeTarPath(ref)
}

/** RepoTags as the server reads them; a name it would refuse refuses the whole file, as the server does. */
function namesOf(refs: string[]): ImageName[] {
  const unique = new Map<string, ImageName>()
  for (const ref of refs) {
    try {
      const n = parseImageReference(ref)
      unique.set(`${n.repository}:${n.tag}`, n)
    } catch (e) {
      if (e instanceof NameError) throw new PreviewRejection('NAME_INVALID', e.message)
      throw e
    }
  }
  return [...unique.values()]
}

function ociNames(annotations: Json): { names: ImageName[]; tagHint: string | null } {
  const fullName = annotations['io.containerd.image.name']
  const refName = annotations['org.opencontainers.image.ref.name']
  if (typeof fullName === 'string' && fullName) return { names: namesOf([fullName]), tagHint: null }
  if (typeof refName === 'string' && refName) return /[/:]/.test(refName) ? { names: namesOf([refName]), tagHint: null } : { names: [], tagHint: refName }
  return { names: [], tagHint: null }
}

/** Nesting depth check before JSON.parse (strings skipped), as the server does. */
function depthExceeds(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

export type TagChange = {
  repository: string
  tag: string
  /** null: not known before the upload (compressed layers, unreadable config) */
  newDigest: string | null
}

/**
 * The tags an upload of this preview would set, as the server names them: the archive's names, or
 * `name` (from the person, or ?repository=&tag=) for an archive with one image.
 */
export function tagChanges(preview: Extract<ArchivePreview, { kind: 'images' }>, name: ImageName | null): TagChange[] {
  if (preview.index) return (name ? [name] : preview.index.names).map((n) => ({ ...n, newDigest: null }))
  if (name) {
    if (preview.images.length !== 1) return []
    return [{ ...name, newDigest: preview.images[0].manifestDigest }]
  }
  return preview.images.flatMap((img) => img.names.map((n) => ({ ...n, newDigest: img.manifestDigest })))
}

export type TagOutcome = 'created' | 'updated' | 'unchanged' | 'unknown'

/** What uploading does to a tag whose current digest is `current` (null: the tag does not exist). */
export function tagOutcome(current: string | null, next: string | null): TagOutcome {
  if (current === null) return 'created'
  if (next === null) return 'unknown'
  return current === next ? 'unchanged' : 'updated'
}

/** Indexes of images the archive does not name. */
export const unnamedImages = (preview: Extract<ArchivePreview, { kind: 'images' }>) =>
  preview.index ? (preview.index.names.length ? [] : [0]) : preview.images.flatMap((img, i) => (img.names.length ? [] : [i]))

/** One name for the whole archive: a single image, or a multi-platform image (one index). */
export const nameableAsOne = (preview: Extract<ArchivePreview, { kind: 'images' }>) => preview.images.length === 1 || !!preview.index
