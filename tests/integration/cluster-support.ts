// A cluster for the tests of several instances (cluster-*.test.ts): two real Stowage processes on one
// PostgreSQL database and one bucket, behind nginx (round robin), and a registry client that pushes in
// chunks and pulls verifying every digest, as the administrator (the instances enforce access).
import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { startStack, type Stack } from '../helpers/stack'
import { startNginx, type Nginx } from '../helpers/nginx'
import { startInstanceProcess, type InstanceProcess } from '../helpers/instance-process'
import { requestLines, type RequestLine } from '../helpers/log-lines'

export const ADMIN = 'admin'
export const ADMIN_PASSWORD = 'cluster-tests-admin-password'
export const adminAuth = `Basic ${Buffer.from(`${ADMIN}:${ADMIN_PASSWORD}`).toString('base64')}`
export const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex')
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar'
export const OCI_ACCEPT = [OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.index.v1+json'].join(', ')

export type Cluster = { stack: Stack; instances: InstanceProcess[]; nginx: Nginx; url: string; host: string; close(): Promise<void> }

/** The bucket the instances share: the stack's own (s3rver, or a bucket of its own on the TEST_S3_* service). */
function bucketEnv(stack: Stack): Record<string, string> {
  return stack.s3Env
}

/** Two instances started at once (as an orchestrator would start them), nginx in front. */
export async function startCluster(env: Record<string, string> = {}): Promise<Cluster> {
  const stack = await startStack('postgresql')
  const instances: InstanceProcess[] = []
  let nginx: Nginx | null = null
  const close = async () => {
    await nginx?.stop()
    await Promise.all(instances.map((i) => i.stop()))
    await stack.close()
  }
  try {
    const common = {
      DATABASE_URL: stack.databaseUrl,
      ...bucketEnv(stack),
      STOWAGE_ADMIN_USER: ADMIN,
      STOWAGE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // nginx on this host: its X-Forwarded-* are believed
      STOWAGE_TRUSTED_PROXIES: '127.0.0.1',
      STOWAGE_ANALYSIS_CONCURRENCY: '1',
      ...env,
    }
    const started = await Promise.allSettled([startInstanceProcess(common), startInstanceProcess(common)])
    for (const s of started) if (s.status === 'fulfilled') instances.push(s.value)
    for (const s of started) if (s.status === 'rejected') throw s.reason
    nginx = await startNginx(instances.map((i) => i.host))
  } catch (e) {
    await close()
    throw e
  }
  return { stack, instances, nginx, url: nginx.url, host: nginx.host, close }
}

/** The request lines of each instance (index = instance). */
export const linesOf = (c: Cluster, fields: Partial<RequestLine> = {}) => c.instances.map((i) => requestLines(i.output(), fields))

type Init = Omit<RequestInit, 'body'> & { body?: Buffer | null }
/** fetch as the administrator */
export function api(url: string, init: Init = {}) {
  const headers = new Headers(init.headers)
  if (!headers.has('authorization')) headers.set('authorization', adminAuth)
  return fetch(url, { ...init, headers, body: init.body ? new Uint8Array(init.body) : init.body } as RequestInit)
}

export type Answer = { status: number; code: string | null; message?: string }
async function answer(res: Response): Promise<Answer> {
  const text = await res.text()
  try {
    const error = JSON.parse(text)?.errors?.[0]
    return { status: res.status, code: error?.code ?? null, message: error?.message }
  } catch {
    return { status: res.status, code: null, message: text.slice(0, 200) }
  }
}

export type Image = { repo: string; tag: string; config: Buffer; layers: Buffer[]; manifest: Buffer; digest: string }

export function ociImage(repo: string, tag: string, layers: Buffer[]): Image {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(sha256) }, config: { Labels: { image: `${repo}:${tag}` } } }))
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: sha256(l), size: l.length })),
    }),
  )
  return { repo, tag, config, layers, manifest, digest: sha256(manifest) }
}

/**
 * One blob as a chunked upload: POST, then a PATCH per `chunkBytes` with Content-Range, then the
 * finishing PUT with the digest, each a separate request (nginx sends them to the instances in turn).
 * Answers the upload session's id with the final answer.
 */
export async function pushBlobChunked(base: string, repo: string, blob: Buffer, chunkBytes: number): Promise<Answer & { session: string | null }> {
  const start = await api(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' })
  if (start.status !== 202) return { ...(await answer(start)), session: null }
  let location = start.headers.get('location')!
  const session = /\/blobs\/uploads\/([^/?]+)/.exec(location)![1]
  await start.arrayBuffer()
  for (let offset = 0; offset < blob.length; offset += chunkBytes) {
    const chunk = blob.subarray(offset, Math.min(blob.length, offset + chunkBytes))
    const res = await api(new URL(location, base).toString(), {
      method: 'PATCH',
      body: chunk,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
    })
    if (res.status !== 202) return { ...(await answer(res)), session }
    location = res.headers.get('location')!
    await res.arrayBuffer()
  }
  const done = new URL(location, base)
  done.searchParams.set('digest', sha256(blob))
  const put = await api(done.toString(), { method: 'PUT' })
  return { ...(await answer(put)), session }
}

export const putManifest = async (base: string, img: Image) =>
  answer(await api(`${base}/v2/${img.repo}/manifests/${img.tag}`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } }))

/**
 * Pushes every blob in chunks, then the manifest. A manifest refused with MANIFEST_BLOB_UNKNOWN (garbage
 * collection with no grace period took a blob between its upload and the manifest) is pushed again with
 * every blob, as a client retrying would; a success is a push the registry confirmed.
 */
export async function pushImageChunked(base: string, img: Image, chunkBytes: number, attempts = 3): Promise<{ answer: Answer; sessions: string[]; attempts: number }> {
  const sessions: string[] = []
  let last: Answer = { status: 0, code: null }
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let failed: Answer | null = null
    for (const blob of [...img.layers, img.config]) {
      const r = await pushBlobChunked(base, img.repo, blob, chunkBytes)
      if (r.session) sessions.push(r.session)
      if (r.status !== 201) {
        failed = r
        break
      }
    }
    last = failed ?? (await putManifest(base, img))
    if (last.status === 201 || last.code !== 'MANIFEST_BLOB_UNKNOWN') return { answer: last, sessions, attempts: attempt }
  }
  return { answer: last, sessions, attempts }
}

export type Pulled = { digest: string; manifest: any; config: Buffer; layers: Buffer[] }

/** Pulls repo:reference checking the manifest's and every blob's digest and size; throws what is wrong. */
export async function pullChecked(base: string, repo: string, reference: string): Promise<Pulled> {
  const res = await api(`${base}/v2/${repo}/manifests/${reference}`, { headers: { Accept: OCI_ACCEPT } })
  const body = Buffer.from(await res.arrayBuffer())
  if (res.status !== 200) throw new Error(`manifest ${repo}:${reference}: ${res.status} ${body.toString().slice(0, 200)}`)
  const digest = res.headers.get('docker-content-digest')
  if (digest !== sha256(body)) throw new Error(`manifest ${repo}:${reference}: Docker-Content-Digest ${digest} is not its content's ${sha256(body)}`)
  const manifest = JSON.parse(body.toString('utf8'))
  const blob = async (d: { digest: string; size: number }) => {
    const r = await api(`${base}/v2/${repo}/blobs/${d.digest}`)
    const bytes = Buffer.from(await r.arrayBuffer())
    if (r.status !== 200) throw new Error(`blob ${d.digest} of ${repo}:${reference}: ${r.status}`)
    if (bytes.length !== d.size || sha256(bytes) !== d.digest) throw new Error(`blob ${d.digest} of ${repo}:${reference}: ${bytes.length} bytes with digest ${sha256(bytes)}`)
    return bytes
  }
  const config = await blob(manifest.config)
  const layers: Buffer[] = []
  for (const l of manifest.layers) layers.push(await blob(l))
  return { digest: sha256(body), manifest, config, layers }
}

/** The layer tars of a pulled image, uncompressed (skopeo pushes gzip; imports store plain tars). */
export const plainLayers = (p: Pulled) => p.layers.map((l, i) => (String(p.manifest.layers[i].mediaType).endsWith('gzip') ? gunzipSync(l) : l))
