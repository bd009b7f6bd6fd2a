// Shared by the registry API tests: the registry of tests/helpers/http-stack.ts, a restart, skopeo, small helpers.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { expect } from 'vitest'
import type { Stack } from '../helpers/stack'
import { listen } from '../../lib/http/stowage-server'
import { openDatabase } from '../../lib/db/client'
import type { Services } from '../../lib/services'

export { startRegistry, type Registry } from '../helpers/http-stack'

/** A second Stowage instance on the same database and bucket, with its own database client (a "restart"). */
export async function reopen(stack: Stack) {
  const db = await openDatabase(stack.databaseUrl)
  const services: Services = { db, store: stack.store, limits: stack.limits, auth: stack.auth }
  const server = await listen(services, { port: 0, host: '127.0.0.1' })
  return {
    services,
    server,
    async close() {
      await server.close()
      await db.$disconnect()
    },
  }
}

const run = promisify(execFile)

/** Runs skopeo; the registry is plain HTTP on 127.0.0.1. */
export async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 })
  return stdout
}

export const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex')

/** fetch with Buffer or stream bodies (streamed bodies need duplex: 'half'). */
export type Init = Omit<RequestInit, 'body'> & { body?: Buffer | ReadableStream | null }
export const request = (url: string, init: Init = {}) => fetch(url, { duplex: 'half', ...init } as RequestInit)

export async function errorOf(res: Response) {
  const body = await res.json()
  return { status: res.status, code: body.errors?.[0]?.code as string, message: body.errors?.[0]?.message as string, detail: body.errors?.[0]?.detail }
}

/**
 * Where a Location header points, as a path with its query (absolute URLs lose their origin): the next
 * request of an upload flow goes there, as conformance clients do with the header they were given.
 */
export function locationPath(res: Response): string {
  const location = res.headers.get('location')
  if (!location) throw new Error(`${res.status} answer has no Location header`)
  const u = new URL(location, 'http://relative.invalid')
  return u.pathname + u.search
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

/**
 * Pushes a one-layer OCI image through /v2/ of `url`: a random layer of `layerBytes` and its config
 * (201 each), then the manifest under `reference`, or under its own digest when that is null (201).
 */
/** The config and OCI manifest of an image of one (uncompressed) layer; `extra` config fields make it unique. */
export function oneLayerImage(layer: Buffer, extra: Record<string, unknown> = {}) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, ...extra }))
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  )
  return { config, manifest }
}

export async function pushOneLayerImage(url: string, repo: string, reference: string | null, layerBytes: number) {
  const layer = randomBytes(layerBytes)
  const { config, manifest } = oneLayerImage(layer)
  for (const blob of [layer, config]) expect((await request(`${url}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })).status).toBe(201)
  const res = await request(`${url}/v2/${repo}/manifests/${reference ?? sha256(manifest)}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': OCI_MANIFEST } })
  expect(res.status).toBe(201)
  return { layer, config, manifest, digest: sha256(manifest) }
}
