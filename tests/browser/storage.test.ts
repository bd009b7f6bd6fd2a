// The storage lifecycle in the real console (Chromium against the real Stowage process, grace 0, no
// schedule): the storage page's numbers (logical above physical when repositories share a layer,
// reclaimable after a tag is deleted), a dry run (per repository, nothing freed) and a real run (in the
// history, reclaimable drops), a run refused while another holds the GC lease (409, as the server words
// it), the jobs (counts per kind, a failure with its reason); "Delete image" by digest from the digest
// page and the tag page (the pull by digest answers 404 afterwards; an index's platform image is refused
// with the server's message); a retention policy set on a repository page, its preview listing the tags
// it would delete, "Apply now" deleting them. Every page at 390 px without horizontal scroll. On SQLite
// (in-process job queue) and PostgreSQL (pg-boss).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it, expect } from 'vitest'
import pg from 'pg'
import type { Page } from 'playwright-core'
import { browserTests } from '../helpers/browser'
import { overflowingElements } from '../helpers/layout'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { openDatabase } from '../../lib/db/client'
import { acquireLease } from '../../lib/db/leases'
import { GC_LEASE } from '../../lib/gc/run-gc'
import { JOB_NAMES } from '../../lib/jobs/job-queue'
import { providers } from '../helpers/stack'
import type { DbProvider } from '../../lib/db/provider'
import { serverDatabase } from '../helpers/browser-database'

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots')
const PHONE = { width: 390, height: 844 }
const MANIFEST_ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json'

// grace 0: what nothing references is reclaimable at once; no scheduled run interferes
const SETTINGS = { STOWAGE_GC_GRACE_SECONDS: '0', STOWAGE_GC_INTERVAL_SECONDS: '0', STOWAGE_RETENTION_INTERVAL_SECONDS: '0' }
const FAILURE = 'layer sha256:eeee… is missing in the bucket (a test put this job here)'

/** A job that failed for good, written where the server's queue keeps it (LocalJob on SQLite, pg-boss's table on PostgreSQL). */
async function seedFailedJob(provider: DbProvider, url: string) {
  const data = { digest: `sha256:${'e'.repeat(64)}` }
  if (provider === 'sqlite') {
    const db = await openDatabase(url)
    try {
      await db.localJob.create({ data: { id: 'failed-for-the-test', name: 'blob.measure', data: JSON.stringify(data), state: 'failed', retryCount: 4, completedAt: new Date(), output: JSON.stringify({ message: FAILURE }) } })
    } finally {
      await db.$disconnect()
    }
    return
  }
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`INSERT INTO pgboss.job (name, data, state, retry_count, started_on, completed_on, output) VALUES ('blob.measure', $1, 'failed', 3, now(), now(), $2)`, [data, { message: FAILURE }])
  } finally {
    await client.end()
  }
}

describe.each(providers)('storage lifecycle in the console (%s)', (provider) => {
  let page: Page
  const digests: Record<string, string> = {}

  const database = serverDatabase(provider, 'stowage-storage-page-', SETTINGS)
  const suite = browserTests({
    timeout: 180_000,
    env: database.env,
    setup: async () => {
      fs.mkdirSync(screenshots, { recursive: true })
      const shared = await makeLayer(150_000)
      // two repositories share one layer (logical counts it twice, physical once); app:old has a layer of its own
      await upload(['gc/app:1', 'gc/app:latest'], [shared, await makeLayer(20_000)], 'app1')
      await upload(['gc/other:1'], [shared], 'other1')
      await upload(['gc/app:old'], [await makeLayer(300_000)], 'old')
      // delete by digest: an image with two tags; another opened from its tag page
      await upload(['del/img:1', 'del/img:also'], [await makeLayer(5_000)], 'del')
      await upload(['del/tagpage:1'], [await makeLayer(6_000)], 'tagpage')
      const multi = await makeMultiPlatformArchive({ reference: 'del/multi:1', platforms: [{ architecture: 'amd64', layers: [{ size: 4_000, gzip: false }] }, { architecture: 'arm64', layers: [{ size: 4_000, gzip: false }] }] })
      const res = await suite.server.fetch('/api/uploads?filename=multi.tar', { method: 'POST', body: new Uint8Array(multi.archive) })
      expect(res.status, await res.clone().text()).toBe(201)
      digests.multiChild = multi.platforms[0].manifestDigest
      digests.multiIndex = multi.indexDigest
      // retention: five tags pushed one after the other
      await send('/api/organizations', 'POST', { name: 'ret' })
      for (let i = 1; i <= 5; i++) await upload([`ret/app:v${i}`], [await makeLayer(1_000 + i)], `ret${i}`)
      await seedFailedJob(provider, provider === 'postgresql' ? database.url : `file:${path.join(suite.server.dataDir, 'stowage.db')}`)
    },
  })

  async function upload(repoTags: string[], layers: Buffer[], key: string) {
    const { archive } = await makeDockerArchive({ repoTags, layers })
    const res = await suite.server.fetch(`/api/uploads?filename=${key}.tar`, { method: 'POST', body: new Uint8Array(archive) })
    expect(res.status, await res.clone().text()).toBe(201)
    digests[key] = ((await res.json()) as any).images[0].manifestDigest
  }

  async function send(p: string, method: string, body?: unknown) {
    const res = await suite.server.fetch(p, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    expect(res.status, `${method} ${p}: ${await res.clone().text()}`).toBeLessThan(300)
    return res
  }

  const pullStatus = async (repository: string, digest: string) => {
    const res = await suite.server.fetch(`/v2/${repository}/manifests/${digest}`, { headers: { accept: MANIFEST_ACCEPT } })
    await res.arrayBuffer()
    return res.status
  }

  async function open(p: string) {
    ;({ page } = await suite.open({ viewport: PHONE }))
    await page.goto(suite.server.url + p)
  }

  /** 390 px: the document is no wider than the window and nothing sticks out unclipped. */
  async function checkPhoneLayout(name: string) {
    await page.waitForLoadState('networkidle')
    await page.screenshot({ path: path.join(screenshots, `storage-${name}-${provider}-phone.png`), fullPage: true })
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
    expect(scrollWidth, `${name}: document width`).toBeLessThanOrEqual(innerWidth)
    expect(await overflowingElements(page), `${name}: elements past the right edge`).toEqual([])
  }

  const bytesOf = async (testId: string) => Number(await page.getByTestId(testId).getAttribute('data-bytes'))

  describe.skipIf(!suite.present)('storage page', () => {
    it('shows logical, physical and reclaimable bytes; a dry run frees nothing; a real run is in the history and reclaimable drops', async () => {
      await open('/storage')
      await page.getByRole('link', { name: 'Storage', exact: true }).waitFor()
      await page.getByTestId('usage-logical').waitFor()
      const logical = await bytesOf('usage-logical')
      const physical = await bytesOf('usage-physical')
      const before = await bytesOf('usage-reclaimable')
      // the shared 150 kB layer counts once in physical, twice in logical
      expect(physical).toBeGreaterThan(150_000)
      expect(logical - physical).toBeGreaterThanOrEqual(150_000)
      await expect(page.getByTestId('usage-reclaimable').textContent()).resolves.toContain('would free')
      // background jobs: which queue, a row per kind, and the failure with its reason
      await page.getByText(provider === 'postgresql' ? 'queue: pg-boss on PostgreSQL' : 'queue: in process (SQLite)').waitFor()
      await expect(page.getByTestId('job-counts').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')))).resolves.toEqual(JOB_NAMES) // every kind the queue knows, in its order
      expect(Number(await page.locator('[data-testid="job-counts"][data-kind="blob.measure"] [data-state="failed"]').textContent())).toBeGreaterThanOrEqual(1)
      await expect(page.locator('[data-testid="failed-job"][data-kind="blob.measure"]').first().textContent()).resolves.toContain(FAILURE)
      await checkPhoneLayout('before')

      // gc/app:old's image (its own 300 kB layer) loses its only tag
      await send('/api/repositories/gc/app/tags/old', 'DELETE')
      await page.reload()
      const reclaimable = await bytesOf('usage-reclaimable')
      expect(reclaimable).toBeGreaterThanOrEqual(before + 300_000)

      await page.getByRole('button', { name: 'Dry run' }).click()
      const dry = page.locator('[data-testid="gc-result"][data-dry-run="true"]')
      await dry.waitFor()
      expect(Number(await dry.getAttribute('data-bytes'))).toBeGreaterThanOrEqual(300_000)
      const perRepository = page.locator('[data-testid="gc-result-repository"][data-repository="gc/app"]')
      expect(Number(await perRepository.getAttribute('data-bytes'))).toBeGreaterThanOrEqual(300_000)
      await page.locator('[data-testid="gc-run-row"][data-dry-run="true"]').first().waitFor()
      await checkPhoneLayout('dry-run')
      // nothing deleted: the image is still pullable by digest and still reclaimable
      expect(await pullStatus('gc/app', digests.old)).toBe(200)
      expect(await bytesOf('usage-reclaimable')).toBe(reclaimable)

      await page.getByRole('button', { name: 'Collect garbage' }).click()
      const dialog = page.getByRole('dialog', { name: 'Collect garbage now?' })
      await dialog.getByRole('button', { name: 'Collect garbage' }).click()
      const real = page.locator('[data-testid="gc-result"][data-dry-run="false"]')
      await real.waitFor({ timeout: 30_000 })
      expect(Number(await real.getAttribute('data-bytes'))).toBeGreaterThanOrEqual(300_000)
      // the history shows it (newest first) and the page re-read the numbers
      const newest = page.getByTestId('gc-run-row').first()
      await expect.poll(() => newest.getAttribute('data-dry-run')).toBe('false')
      expect(Number(await newest.getAttribute('data-bytes'))).toBeGreaterThanOrEqual(300_000)
      await expect.poll(() => bytesOf('usage-reclaimable')).toBeLessThanOrEqual(reclaimable - 300_000)
      await checkPhoneLayout('after-run')
      // the tagged images are untouched
      expect(await pullStatus('gc/app', digests.app1)).toBe(200)
      expect(await pullStatus('gc/other', digests.other1)).toBe(200)
    })

    it('names the run that holds the lease instead of starting another (409 GC_RUNNING)', async () => {
      // another instance's run, as far as this server can tell: the GC lease is held
      const db = await openDatabase(provider === 'postgresql' ? database.url : `file:${path.join(suite.server.dataDir, 'stowage.db')}`)
      const lease = await acquireLease(db, GC_LEASE, 120_000)
      try {
        expect(lease).not.toBeNull()
        await open('/storage')
        const runs = await page.getByTestId('gc-run-row').count()
        await page.getByRole('button', { name: 'Dry run' }).click()
        await expect(page.getByTestId('gc').getByRole('alert').textContent()).resolves.toMatch(/^a garbage collection is running already.*\(GC_RUNNING\)$/)
        await expect(page.getByTestId('gc-result').count()).resolves.toBe(0)
        await checkPhoneLayout('busy')
        await page.reload()
        await page.getByTestId('usage-logical').waitFor()
        expect(await page.getByTestId('gc-run-row').count()).toBe(runs)
      } finally {
        await lease?.release()
        await db.$disconnect()
      }
    })

    it('is for administrators: the header links to it', async () => {
      await open('/')
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Storage' }).click()
      await page.waitForURL('**/storage')
      await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor()
    })
  })

  describe.skipIf(!suite.present)('delete an image by digest', () => {
    it('from the digest page: the confirmation names the digest and its tags; afterwards the page says so and a pull by digest is 404', async () => {
      const digest = digests.del
      expect(await pullStatus('del/img', digest)).toBe(200)
      await open(`/repositories/del/img/-/digests/${encodeURIComponent(digest)}`)
      await page.getByRole('button', { name: `Delete image ${digest}` }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete this image for good?' })
      await expect(dialog.getByTestId('delete-image-digest').textContent()).resolves.toBe(digest)
      await expect(dialog.getByTestId('delete-image-tags').textContent()).resolves.toMatch(/These 2 tags are deleted with it: (1, also|also, 1)\./)
      await checkPhoneLayout('delete-dialog')
      await dialog.getByRole('button', { name: 'Delete image' }).click()
      const done = page.getByTestId('image-deleted')
      await done.waitFor()
      await expect(done.textContent()).resolves.toContain(digest)
      await checkPhoneLayout('deleted')
      expect(await pullStatus('del/img', digest)).toBe(404)
      expect((await suite.server.fetch('/api/repositories/del/img/tags/also')).status).toBe(404)
      await done.getByRole('link', { name: 'Back to del/img' }).click()
      await page.waitForURL('**/repositories/del/img')
    })

    it('from the tag page: the tags are read for the confirmation', async () => {
      await open('/repositories/del/tagpage/-/tags/1')
      await page.getByRole('button', { name: `Delete image ${digests.tagpage}` }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete this image for good?' })
      await expect.poll(() => dialog.getByTestId('delete-image-tags').textContent()).toBe('This tag is deleted with it: 1.')
      await dialog.getByRole('button', { name: 'Delete image' }).click()
      await page.getByTestId('image-deleted').waitFor()
      expect(await pullStatus('del/tagpage', digests.tagpage)).toBe(404)
    })

    it("an index's platform image is refused (409) with the server's message, and stays pullable", async () => {
      const direct = await suite.server.fetch(`/api/repositories/del/multi/manifests/${digests.multiChild}`, { method: 'DELETE' })
      expect(direct.status).toBe(409)
      const message = ((await direct.json()) as any).error.message as string
      await open(`/repositories/del/multi/-/digests/${encodeURIComponent(digests.multiChild)}`)
      await page.getByRole('button', { name: `Delete image ${digests.multiChild}` }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete this image for good?' })
      await dialog.getByRole('button', { name: 'Delete image' }).click()
      await expect(dialog.getByRole('alert').textContent()).resolves.toBe(message)
      expect(await pullStatus('del/multi', digests.multiChild)).toBe(200)
    })
  })

  describe.skipIf(!suite.present)('retention policy', () => {
    it('set on the repository page: the preview lists the tags it would delete, "Apply now" deletes them', async () => {
      await open('/repositories/ret/app')
      const form = page.getByRole('form', { name: 'Retention policy' })
      await form.waitFor()
      // a problem is named before anything is sent; what the API refuses is shown as it words it
      await form.getByLabel('Keep the most recent').fill('two')
      await form.getByText('Keep the most recent: a whole number of tags').waitFor()
      await expect(form.getByRole('button', { name: 'Save policy' }).isDisabled()).resolves.toBe(true)
      await form.getByLabel('Keep the most recent').fill('')
      await form.getByRole('button', { name: 'Save policy' }).click()
      await expect(form.getByRole('alert').textContent()).resolves.toContain('a policy needs at least one rule')
      await form.getByLabel('Keep the most recent').fill('2')
      await form.getByRole('button', { name: 'Save policy' }).click()
      await form.getByRole('status').getByText('Policy saved').waitFor()
      await form.getByRole('button', { name: 'Preview' }).click()
      const preview = page.locator('[data-testid="retention-result"][data-dry-run="true"]')
      await preview.waitFor()
      const listed = async () => (await preview.getByTestId('retention-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-tag')))).sort()
      expect(await listed()).toEqual(['v1', 'v2', 'v3'])
      await checkPhoneLayout('retention-preview')
      // the preview deleted nothing
      expect(((await (await suite.server.fetch('/api/repositories/ret/app/tags')).json()) as any).tags).toHaveLength(5)

      await form.getByRole('button', { name: 'Apply now' }).click()
      await page.getByRole('dialog', { name: 'Apply the retention policy now?' }).getByRole('button', { name: 'Apply now' }).click()
      await page.locator('[data-testid="retention-result"][data-dry-run="false"]').waitFor()
      const tags = ((await (await suite.server.fetch('/api/repositories/ret/app/tags')).json()) as any).tags.map((t: any) => t.name).sort()
      expect(tags).toEqual(['v4', 'v5'])
    })

    it('on the organization page for its owners, at 390 px', async () => {
      await open('/organizations/ret')
      const form = page.getByRole('form', { name: 'Retention policy' })
      await form.getByLabel('Keep tags matching').waitFor()
      await checkPhoneLayout('organization-retention')
    })
  })
})
