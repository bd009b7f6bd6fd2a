// The push rate limit against a real client: skopeo (with --retry-times) pushes an image of 8 layers
// into an organization limited to 3 write requests per second, with the default 1 s windows. Some
// requests are answered 429 (counted in the server's request log) and the push completes.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { hasSkopeo } from '../helpers/optional'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { seedUser, seedOrganization, basic, PASSWORD } from '../helpers/accounts'
import { createRateLimiter } from '../../lib/limits/rate-limit'
import { requestLines } from '../helpers/log-lines'

const run = promisify(execFile)

describe.skipIf(!hasSkopeo())('push rate limit: skopeo retries and completes', () => {
  let reg: Registry
  let work: string
  const lines: string[] = []
  beforeAll(async () => {
    // as users push: signed in (token flow) as a push member of the organization
    reg = await startRegistry('sqlite', { log: (line) => lines.push(line), access: 'enforced' })
    reg.stack.rateLimit = createRateLimiter({ db: reg.stack.db, defaultPerSecond: 20 }) // real 1 s windows
    await seedUser(reg.stack.db, 'pusher')
    await seedOrganization(reg.stack.db, 'load', { pusher: 'push' })
    await reg.stack.db.organization.update({ where: { name: 'load' }, data: { pushRatePerSecond: 3 } })
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-rate-'))
  })
  afterAll(async () => {
    await reg?.close()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('an image of 8 layers pushed at 3 writes/s: some requests answered 429, the push succeeds', async () => {
    const layers = await Promise.all(Array.from({ length: 8 }, () => makeLayer(64 * 1024)))
    const { archive } = await makeDockerArchive({ repoTags: ['load/app:1'], layers })
    const file = path.join(work, 'image.tar')
    fs.writeFileSync(file, archive)
    const started = Date.now()
    const { stderr } = await run('skopeo', ['copy', '--retry-times', '5', '--dest-tls-verify=false', '--dest-creds', `pusher:${PASSWORD}`, `docker-archive:${file}`, `docker://${reg.host}/load/app:1`], { timeout: 120_000 })
    const seconds = (Date.now() - started) / 1000
    const writes = requestLines(lines.join('\n')).filter((l) => l.method !== 'GET' && l.method !== 'HEAD' && l.path.startsWith('/v2/'))
    const refused = writes.filter((l) => l.status === 429)
    const copyRetries = (stderr.match(/retrying in/g) ?? []).length
    console.log(`skopeo push of 8 layers at 3 writes/s: ${seconds.toFixed(1)} s, ${writes.length} write requests, ${refused.length} answered 429, ${copyRetries} whole-copy retries`)
    expect(refused.length).toBeGreaterThan(0)
    const res = await fetch(`${reg.url}/v2/load/app/manifests/1`, { headers: { ...basic('pusher'), Accept: 'application/vnd.docker.distribution.manifest.v2+json' } })
    expect(res.status).toBe(200)
    expect((await res.json()).layers).toHaveLength(8)
  })
})
