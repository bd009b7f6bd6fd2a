// A small registry client for the garbage-collection tests: pushes images the way docker does (HEAD each
// blob, upload only the missing ones, then PUT the manifest), pushes indexes, and pulls a tag verifying
// every digest. Answers what the registry said instead of asserting, so concurrent tests can decide
// which answers a race may legitimately produce.
import { createHash } from 'node:crypto'
import type { Stack } from './stack'

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar'

export const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex')

export type Image = { config: Buffer; layers: Buffer[]; manifest: Buffer; digest: string }

/** An OCI image of these layers; `label` makes its config (and so its digest) unique. */
export function image(layers: Buffer[], label: string, platform = { os: 'linux', architecture: 'amd64' }): Image {
  const config = Buffer.from(JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: layers.map(sha256) }, config: { Labels: { label } } }))
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: sha256(l), size: l.length })),
    }),
  )
  return { config, layers, manifest, digest: sha256(manifest) }
}

/** An OCI image index over these images (each listed with its platform). */
export function index(images: { image: Image; architecture: string }[]): { manifest: Buffer; digest: string } {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: images.map(({ image: i, architecture }) => ({ mediaType: OCI_MANIFEST, digest: i.digest, size: i.manifest.length, platform: { os: 'linux', architecture } })),
    }),
  )
  return { manifest, digest: sha256(manifest) }
}

export type Answer = { status: number; code: string | null; message?: string }

async function status(res: Response): Promise<Answer> {
  const text = await res.text()
  let code: string | null = null
  let message: string | undefined
  try {
    const error = JSON.parse(text)?.errors?.[0]
    code = error?.code ?? null
    message = error?.message
  } catch {
    // not JSON: no code
  }
  return { status: res.status, code, message }
}

/** Uploads a blob unless HEAD says the repository has it (docker's "Layer already exists"). */
export async function pushBlob(url: string, repo: string, blob: Buffer, opts: { skipExisting?: boolean } = {}): Promise<Answer> {
  const digest = sha256(blob)
  if (opts.skipExisting !== false) {
    const head = await fetch(`${url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })
    if (head.status === 200) return { status: 200, code: null }
  }
  return status(await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: new Uint8Array(blob) }))
}

export async function putManifest(url: string, repo: string, reference: string, manifest: Buffer, mediaType = OCI_MANIFEST) {
  return status(await fetch(`${url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', body: new Uint8Array(manifest), headers: { 'Content-Type': mediaType } }))
}

/**
 * Pushes an image as docker does. A manifest refused with MANIFEST_BLOB_UNKNOWN (a blob that HEAD had
 * found was collected before the manifest arrived: possible only with a zero grace period) is pushed
 * again with every blob uploaded, as a client retrying the push would.
 */
export async function pushImage(url: string, repo: string, reference: string, img: Image): Promise<Answer & { retried: boolean }> {
  for (const retry of [false, true]) {
    for (const blob of [...img.layers, img.config]) {
      const r = await pushBlob(url, repo, blob, { skipExisting: !retry })
      if (r.status !== 200 && r.status !== 201) return { ...r, retried: retry }
    }
    const put = await putManifest(url, repo, reference, img.manifest)
    if (put.status === 201 || put.code !== 'MANIFEST_BLOB_UNKNOWN' || retry) return { ...put, retried: retry }
  }
  throw new Error('unreachable')
}

export type PullProblem = { tag: string; problem: string }

/**
 * Pulls repo:tag as a client does (manifest, then for an index each platform manifest, then every
 * blob), checking every digest and size. Answers null when all is byte-exact, else what went wrong.
 */
export async function pullVerified(url: string, repo: string, tag: string): Promise<string | null> {
  const accept = [OCI_MANIFEST, OCI_INDEX].join(', ')
  const getManifest = async (ref: string) => {
    const res = await fetch(`${url}/v2/${repo}/manifests/${ref}`, { headers: { Accept: accept } })
    const body = Buffer.from(await res.arrayBuffer())
    return { status: res.status, body, digest: res.headers.get('docker-content-digest') }
  }
  const top = await getManifest(tag)
  if (top.status !== 200) return `manifest ${repo}:${tag}: ${top.status}`
  if (top.digest !== sha256(top.body)) return `manifest ${repo}:${tag}: digest header ${top.digest} is not its content's ${sha256(top.body)}`
  const doc = JSON.parse(top.body.toString('utf8'))
  const images: Buffer[] = []
  if (doc.manifests) {
    for (const d of doc.manifests) {
      const child = await getManifest(d.digest)
      if (child.status !== 200) return `platform manifest ${d.digest} of ${repo}:${tag}: ${child.status}`
      if (sha256(child.body) !== d.digest) return `platform manifest ${d.digest} of ${repo}:${tag}: content has another digest`
      images.push(child.body)
    }
  } else images.push(top.body)
  for (const m of images) {
    const parsed = JSON.parse(m.toString('utf8'))
    for (const d of [parsed.config, ...parsed.layers]) {
      const res = await fetch(`${url}/v2/${repo}/blobs/${d.digest}`)
      const bytes = Buffer.from(await res.arrayBuffer())
      if (res.status !== 200) return `blob ${d.digest} of ${repo}:${tag}: ${res.status}`
      if (bytes.length !== d.size || sha256(bytes) !== d.digest) return `blob ${d.digest} of ${repo}:${tag}: ${bytes.length} bytes with digest ${sha256(bytes)}`
    }
  }
  return null
}

/** Every tag the database has, pulled byte-exact through `url`: the problems found (none = all good). */
export async function pullEveryTag(stack: Pick<Stack, 'db'>, url: string): Promise<PullProblem[]> {
  const tags = await stack.db.tag.findMany({ select: { name: true, repository: { select: { name: true } } } })
  const problems: PullProblem[] = []
  for (const t of tags) {
    const problem = await pullVerified(url, t.repository.name, t.name)
    if (problem) problems.push({ tag: `${t.repository.name}:${t.name}`, problem })
  }
  return problems
}

/** Blob rows whose object is not in the bucket (must be none: nothing visible may point at a deleted object). */
export async function blobsWithoutObject(stack: Pick<Stack, 'db' | 'store'>): Promise<string[]> {
  const keys = new Set<string>()
  for await (const o of stack.store.list('')) keys.add(o.key)
  const rows = await stack.db.blob.findMany({ select: { digest: true, objectKey: true } })
  return rows.filter((r) => !keys.has(r.objectKey)).map((r) => `${r.digest} (${r.objectKey})`)
}
