// HTTPS served directly (STOWAGE_TLS_CERT/KEY → listen's `tls`): with a self-signed certificate,
// skopeo logs in and pushes/pulls with TLS verification ON (its --cert-dir holds the certificate as
// ca.crt), and fails without it; plain HTTP to the port gets nothing; the token realm of the
// challenge is https. SQLite and PostgreSQL, real S3-compatible server, access enforced.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import https from 'node:https'
import { generateKeyPairSync } from 'node:crypto'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers, startStack, type Stack } from '../helpers/stack'
import { fixtures } from '../helpers/fixtures'
import { hasSkopeo, commandWorks } from '../helpers/optional'
import { seedUser, seedOrganization, basic, PASSWORD } from '../helpers/accounts'
import { listen, type RunningServer } from '../../lib/http/stowage-server'

const ARCHIVE = fixtures.path(fixtures.files.busybox)
const run = promisify(execFile)
// openssl makes the certificate (present wherever skopeo is)
const present = hasSkopeo() && commandWorks('openssl', ['version'])

/** A one-day self-signed P-256 certificate for localhost and 127.0.0.1. */
function selfSigned(dir: string) {
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  return { cert: fs.readFileSync(cert), key: fs.readFileSync(key) }
}

/** GET over https trusting `ca`: status, headers. */
function httpsGet(url: string, ca: Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    https.get(url, { ca, headers }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }))
    }).on('error', reject)
  })
}

describe.skipIf(!present).each(providers)('registry over HTTPS (%s)', (provider) => {
  let stack: Stack
  let server: RunningServer
  let work: string
  let certDir: string
  let ca: Buffer
  let host: string
  const authfile = () => path.join(work, 'auth.json')
  const skopeo = async (...args: string[]) => {
    try {
      return { ok: true, out: (await run('skopeo', args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 })).stdout }
    } catch (e) {
      return { ok: false, out: (e as { stderr?: string }).stderr ?? String(e) }
    }
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-tls-'))
    const tls = selfSigned(work)
    ca = tls.cert
    certDir = path.join(work, 'certs')
    fs.mkdirSync(certDir)
    fs.writeFileSync(path.join(certDir, 'ca.crt'), tls.cert)
    stack = await startStack(provider)
    stack.auth = { openAccess: false }
    await seedUser(stack.db, 'alice')
    await seedOrganization(stack.db, 'acme', { alice: 'push' })
    server = await listen(stack, { port: 0, host: '127.0.0.1', tls })
    host = `127.0.0.1:${server.port}`
  })
  afterAll(async () => {
    await server?.close()
    await stack?.close()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('serves https; the challenge names an https token realm; plain http gets nothing', async () => {
    expect(server.url).toBe(`https://${host}`)
    const res = await httpsGet(`${server.url}/v2/`, ca)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="https://${host}/v2/token",service="stowage"`)
    expect((await httpsGet(`${server.url}/v2/`, ca, basic('alice'))).status).toBe(200)
    await expect(fetch(`http://${host}/v2/`)).rejects.toThrow()
  })

  it('a key that does not belong to the certificate is a clear start error', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' })
    await expect(listen(stack, { port: 0, host: '127.0.0.1', tls: { cert: ca, key: other } })).rejects.toThrow(/^the TLS certificate and key cannot be used: .*key values mismatch/)
  })

  it('skopeo logs in, pushes and pulls through TLS with verification on (and fails without the CA)', async () => {
    const untrusted = await skopeo('login', '--authfile', authfile(), '-u', 'alice', '-p', PASSWORD, host)
    expect(untrusted.ok).toBe(false)
    expect(untrusted.out).toMatch(/certificate|x509/i)

    const login = await skopeo('login', '--authfile', authfile(), '--cert-dir', certDir, '-u', 'alice', '-p', PASSWORD, host)
    expect(login.out).toBe(login.ok ? login.out : 'login succeeded')
    const push = await skopeo('copy', '--dest-authfile', authfile(), '--dest-cert-dir', certDir, `docker-archive:${ARCHIVE}`, `docker://${host}/acme/app:v1`)
    expect(push.out).toBe(push.ok ? push.out : 'push succeeded')
    const layout = path.join(work, 'pulled')
    const pull = await skopeo('copy', '--src-authfile', authfile(), '--src-cert-dir', certDir, `docker://${host}/acme/app:v1`, `oci:${layout}`)
    expect(pull.out).toBe(pull.ok ? pull.out : 'pull succeeded')
    expect(JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')).manifests).toHaveLength(1)
    expect(await stack.db.tag.count({ where: { name: 'v1', repository: { name: 'acme/app' } } })).toBe(1)
  })
})
