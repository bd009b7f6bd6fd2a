// Validates a pushed manifest and extracts what the registry records: its media type, the blobs and
// child manifests it references, its subject (referrers API) and artifact type.
import { MediaType } from '../registry/media-types'
import { OciError } from './errors'
import { MANIFEST_MEDIA_TYPES } from './content-negotiation'

export type Descriptor = {
  mediaType: string
  digest: string
  size: number
  urls?: string[]
  artifactType?: string
  annotations?: Record<string, string>
  platform?: { os?: string; architecture?: string; variant?: string }
}

export type ParsedManifest = {
  mediaType: string
  kind: 'image' | 'index'
  config: Descriptor | null
  layers: Descriptor[]
  manifests: Descriptor[]
  subject: Descriptor | null
  /** artifactType, or for an image manifest without one, its config's media type (referrers API) */
  artifactType: string | null
  annotations: Record<string, string> | null
}

const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList])
const DESCRIPTOR_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/

const invalid = (message: string, detail?: unknown) => new OciError('MANIFEST_INVALID', message, { detail: detail ?? null })

/** `contentType` is the request's Content-Type header; the document's own mediaType must agree with it. */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: any
  try {
    doc = JSON.parse(bytes.toString('utf8'))
  } catch (e) {
    throw invalid(`the manifest is not valid JSON: ${(e as Error).message}`)
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('the manifest must be a JSON object')
  if (doc.schemaVersion !== 2) {
    throw invalid(`schemaVersion ${JSON.stringify(doc.schemaVersion)} is not supported; push an OCI or Docker schema 2 manifest`)
  }
  const header = contentType?.split(';')[0].trim().toLowerCase() || null
  const declared = doc.mediaType
  if (declared !== undefined && typeof declared !== 'string') throw invalid('mediaType must be a string')
  let mediaType: string | null = declared ?? null
  if (mediaType && header && MANIFEST_MEDIA_TYPES.includes(header) && header !== mediaType) {
    throw invalid(`the manifest says its mediaType is ${mediaType} but it was sent as ${header}`)
  }
  mediaType ??= header && MANIFEST_MEDIA_TYPES.includes(header) ? header : Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new OciError('UNSUPPORTED', `manifests of type ${mediaType} are not supported; push an OCI image manifest or index, or a Docker schema 2 manifest or manifest list`, {
      status: 415,
      detail: { mediaType },
    })
  }

  const subject = doc.subject === undefined ? null : descriptor(doc.subject, 'subject')
  const annotations = stringMap(doc.annotations, 'annotations')
  if (doc.artifactType !== undefined && (typeof doc.artifactType !== 'string' || !MEDIA_TYPE.test(doc.artifactType))) {
    throw invalid('artifactType must be a media type')
  }

  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw invalid('an image index needs a "manifests" list')
    return {
      mediaType,
      kind: 'index',
      config: null,
      layers: [],
      manifests: doc.manifests.map((d: unknown, i: number) => descriptor(d, `manifests[${i}]`)),
      subject,
      artifactType: doc.artifactType ?? null,
      annotations,
    }
  }
  if (doc.manifests !== undefined) throw invalid(`a ${mediaType} has no "manifests" list`)
  const config = descriptor(doc.config, 'config')
  if (doc.layers !== undefined && !Array.isArray(doc.layers)) throw invalid('"layers" must be a list')
  const layers = (doc.layers ?? []).map((d: unknown, i: number) => descriptor(d, `layers[${i}]`))
  return { mediaType, kind: 'image', config, layers, manifests: [], subject, artifactType: doc.artifactType ?? config.mediaType, annotations }
}

function descriptor(value: unknown, what: string): Descriptor {
  const d = value as any
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw invalid(`${what} must be a descriptor object`)
  if (typeof d.mediaType !== 'string' || !MEDIA_TYPE.test(d.mediaType)) throw invalid(`${what} has no valid mediaType`, { descriptor: what })
  if (typeof d.digest !== 'string' || !DESCRIPTOR_DIGEST.test(d.digest)) throw invalid(`${what} has no valid digest`, { descriptor: what })
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${what} (${d.digest}) has no valid size`, { descriptor: what })
  if (d.urls !== undefined && (!Array.isArray(d.urls) || d.urls.some((u: unknown) => typeof u !== 'string'))) {
    throw invalid(`${what} (${d.digest}) urls must be a list of strings`)
  }
  stringMap(d.annotations, `${what} annotations`)
  return d as Descriptor
}

function stringMap(value: unknown, what: string): Record<string, string> | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalid(`${what} must map strings to strings`)
  }
  return value as Record<string, string>
}

/** Layers that live outside the registry (Windows base layers): a registry may not have them. */
export function isForeignLayer(d: Descriptor) {
  return Array.isArray(d.urls) && d.urls.length > 0 && /nondistributable|foreign/.test(d.mediaType)
}
