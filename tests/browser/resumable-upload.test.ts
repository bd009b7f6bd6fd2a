// Resumable uploads in the page (tus-js-client against /api/uploads/tus, real Chromium and server): a
// page reload mid-upload, then the same file chosen again, continues from the server's offset; pause
// stops the bytes and resume finishes; cancel deletes the server's upload. The link is throttled
// (Chrome DevTools network emulation) so the uploads last long enough to act on them.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect } from 'vitest'
import type { Page, CDPSession } from 'playwright-core'
import { browserTests } from '../helpers/browser'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'

const suite = browserTests()
const MB = 1024 * 1024

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-resume-page-'))
/** A file on disk: choosing it again gives the same name, size and modification time (the page's fingerprint). */
const tarFile = (name: string, buffer: Buffer) => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, buffer)
  return file
}

async function throttle(cdp: CDPSession, bytesPerSecond: number) {
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond })
}

/** The Location of every upload the page creates. */
function createdUploads(page: Page) {
  const locations: string[] = []
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/uploads/tus' && r.status() === 201) locations.push(r.headers()['location'])
  })
  return locations
}

async function serverState(location: string) {
  const res = await suite.server.fetch(location)
  return res.status === 200 ? ((await res.json()) as { state: string; offset: number; length: number; error?: { code: string } }) : null
}

async function until<T>(fn: () => Promise<T | null | false | undefined>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe.skipIf(!suite.present)('resumable uploads in the page', () => {
  it('continues after a page reload when the same file is chosen again', async () => {
    const { archive } = await makeDockerArchive({ repoTags: ['resume/reload:v1'], layers: [await makeLayer(6 * MB)] })
    const { context, page } = await suite.open({ viewport: { width: 1280, height: 900 }, timeout: 60_000 })
    const cdp = await context.newCDPSession(page)
    const created = createdUploads(page)
    await page.goto(suite.server.url + '/upload')
    await throttle(cdp, 1 * MB)
    const file = tarFile('reload.tar', archive)
    await page.getByTestId('file-input').setInputFiles(file)
    await page.getByRole('button', { name: 'Upload 1 file' }).click()
    await until(async () => created.length === 1, 'the upload to be created')
    const location = created[0]
    const before = await until(async () => {
      const s = await serverState(location)
      return s && s.offset > 1 * MB && s.offset
    }, 'the server to have 1 MB')

    await page.reload()
    await page.getByTestId('drop-zone').waitFor()
    await throttle(cdp, -1)
    // the connection died with the page: the server keeps its bytes and waits
    const kept = await serverState(location)
    expect(kept?.state).toBe('receiving')
    expect(kept!.offset).toBeGreaterThanOrEqual(before)

    await page.getByTestId('file-input').setInputFiles(file)
    await page.getByRole('button', { name: 'Upload 1 file' }).click()
    const item = page.locator('[data-testid="upload-item"][data-filename="reload.tar"]')
    await item.and(page.locator('[data-phase="done"]')).waitFor()
    await expect(item.getByTestId('import-tags').textContent()).resolves.toMatch(/created\s*resume\/reload:v1/)
    expect(created, 'no second upload was created').toHaveLength(1)
    expect(Number(await item.getByTestId('resumed-from').getAttribute('data-offset'))).toBeGreaterThanOrEqual(before)
    const final = await serverState(location)
    expect(final).toMatchObject({ state: 'committed', offset: archive.length })
  }, 90_000)

  it('pauses and resumes one file while another goes on in parallel, and cancels', async () => {
    const a = await makeDockerArchive({ repoTags: ['resume/paused:v1'], layers: [await makeLayer(3 * MB)] })
    const b = await makeDockerArchive({ repoTags: ['resume/cancelled:v1'], layers: [await makeLayer(3 * MB)] })
    const { context, page } = await suite.open({ viewport: { width: 1280, height: 900 }, timeout: 60_000 })
    const cdp = await context.newCDPSession(page)
    const created = createdUploads(page)
    await page.goto(suite.server.url + '/upload')
    await throttle(cdp, 1 * MB)
    await page.getByTestId('file-input').setInputFiles([tarFile('paused.tar', a.archive), tarFile('cancelled.tar', b.archive)])
    await page.getByRole('button', { name: 'Upload 2 files' }).click()
    const paused = page.locator('[data-testid="upload-item"][data-filename="paused.tar"]')
    const cancelled = page.locator('[data-testid="upload-item"][data-filename="cancelled.tar"]')
    // both at once
    await paused.and(page.locator('[data-phase="uploading"]')).waitFor()
    await cancelled.and(page.locator('[data-phase="uploading"]')).waitFor()
    await until(async () => created.length === 2, 'both uploads to be created')

    await paused.getByRole('button', { name: 'Pause' }).click()
    await paused.and(page.locator('[data-phase="paused"]')).waitFor()
    await cancelled.getByRole('button', { name: 'Cancel' }).click()
    await cancelled.and(page.locator('[data-phase="failed"]')).waitFor()
    await expect(cancelled.textContent()).resolves.toContain('cancelled')

    // the paused upload's server offset stands still, the cancelled one is gone (its import failed, staged bytes deleted)
    const states = await Promise.all(created.map(serverState))
    const pausedState = states.find((s) => s?.state === 'receiving')!
    expect(pausedState, JSON.stringify(states)).toBeTruthy()
    expect(states.find((s) => s?.state === 'failed')?.error?.code).toBe('CLIENT_ABORTED')
    await new Promise((r) => setTimeout(r, 700))
    const pausedLocation = created[states.indexOf(pausedState)]
    expect((await serverState(pausedLocation))!.offset).toBe(pausedState.offset)
    expect(pausedState.offset).toBeLessThan(a.archive.length)

    await throttle(cdp, -1)
    await paused.getByRole('button', { name: 'Resume' }).click()
    await paused.and(page.locator('[data-phase="done"]')).waitFor()
    await expect(paused.getByTestId('import-tags').textContent()).resolves.toMatch(/created\s*resume\/paused:v1/)
    expect(await serverState(pausedLocation)).toMatchObject({ state: 'committed' })
    expect((await suite.server.fetch('/api/repositories/resume/cancelled/tags')).status).toBe(404)
  }, 90_000)
})
