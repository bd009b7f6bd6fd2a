// Shared by the tenancy tests (upload-organizations, repository-visibility, quotas): an enforced-access
// registry with organizations acme and beta and their members, uploads and /v2 pushes as a user.
import { randomBytes } from 'node:crypto'
import type { Stack } from '../helpers/stack'
import { seedUser, seedOrganization, seedToken, basic, bearer } from '../helpers/accounts'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { sha256, request, oneLayerImage, OCI_MANIFEST } from './oci-support'

// Each user's access token (no organization limit, push: capped by the user's roles), of the stack seeded
// last: describe blocks run one after the other. Tokens, not passwords, keep requests fast (a password
// is checked with argon2 on every request); `password(user)` presents the password instead.
const tokens = new Map<string, string>()

/** admin (administrator); alice: push in acme; paul: pull in acme; bob: push in beta; olga: owner of both. */
export async function seedTenants(stack: Stack) {
  await seedUser(stack.db, 'admin', { admin: true })
  for (const u of ['alice', 'paul', 'bob', 'olga']) await seedUser(stack.db, u)
  await seedOrganization(stack.db, 'acme', { alice: 'push', paul: 'pull', olga: 'owner' })
  await seedOrganization(stack.db, 'beta', { bob: 'push', olga: 'owner' })
  tokens.clear()
  for (const u of ['admin', 'alice', 'paul', 'bob', 'olga']) tokens.set(u, await seedToken(stack.db, u, { access: 'push' }))
}

/** Credentials of a seeded user (an access token of theirs), or none (anonymous). */
export const as = (user: string | null): Record<string, string> => (user ? bearer(tokens.get(user)!) : {})
export const password = (user: string) => basic(user)

export async function uploadAs(url: string, user: string | null | Record<string, string>, archive: Buffer, query = '') {
  const headers = typeof user === 'object' && user !== null ? user : as(user)
  const res = await request(`${url}/api/uploads${query}`, { method: 'POST', body: archive, headers })
  return { status: res.status, body: await res.json() }
}

/** An archive of one image (a random layer of `layerBytes`) named by each of `repoTags`. */
export async function archiveOf(repoTags: string[], layerBytes = 1500, layer?: Buffer) {
  return makeDockerArchive({ repoTags, layers: [layer ?? (await makeLayer(layerBytes))] })
}

/** Pushes a one-layer image through /v2/ as `user` (Basic credentials); answers the statuses of each step. */
export async function pushAs(url: string, user: string | null, repo: string, reference: string, opts: { layer?: Buffer; layerBytes?: number } = {}) {
  const layer = opts.layer ?? randomBytes(opts.layerBytes ?? 800)
  const { config, manifest } = oneLayerImage(layer, { n: randomBytes(4).toString('hex') }) // a new image even for a given layer
  const statuses: number[] = []
  for (const blob of [layer, config]) {
    const res = await request(`${url}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob, headers: as(user) })
    statuses.push(res.status)
    if (res.status !== 201) return { statuses, error: (await res.json()).errors?.[0], layer }
  }
  const res = await request(`${url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': OCI_MANIFEST, ...as(user) } })
  statuses.push(res.status)
  return { statuses, error: res.status === 201 ? null : (await res.json()).errors?.[0], layer }
}

/** Repository names and tags stored (what a refused write must leave unchanged). */
export async function storedNames(stack: Stack) {
  const tags = await stack.db.tag.findMany({ select: { name: true, repository: { select: { name: true } } } })
  return tags.map((t) => `${t.repository.name}:${t.name}`).sort()
}
