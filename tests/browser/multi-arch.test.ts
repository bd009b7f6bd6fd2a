// A multi-platform tag in the real console (Chromium via playwright-core, the real Stowage process with a
// production build): the tag page shows both platforms with their sizes and links, a platform link
// opens that image by digest, the download saves the chosen platform as a tar, and an error answer is
// shown on the page instead of being saved as a file.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it, expect } from 'vitest'
import type { Page } from 'playwright-core'
import { browserTests } from '../helpers/browser'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { formatBytes, shortDigest } from '../../lib/format'

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots')
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

let page: Page
let built: Awaited<ReturnType<typeof makeMultiPlatformArchive>>

const suite = browserTests({
  timeout: 180_000,
  setup: async () => {
    fs.mkdirSync(screenshots, { recursive: true })
    built = await makeMultiPlatformArchive({
      reference: 'multi/web:2.0',
      platforms: [
        { architecture: 'amd64', layers: [{ size: 300_000, gzip: true }, { size: 20_000, gzip: false }] },
        { architecture: 'arm64', variant: 'v8', layers: [{ size: 200_000, gzip: true }, { size: 10_000, gzip: false }] },
      ],
    })
    const res = await suite.server.fetch(`/api/uploads?filename=multi.tar`, { method: 'POST', body: new Uint8Array(built.archive) })
    expect(res.status).toBe(201)
  },
})

/** The desktop page of a test (downloads accepted); closed after the test, its errors must be none. */
async function openDesktop() {
  ;({ page } = await suite.open({ viewport: { width: 1366, height: 900 }, timeout: 20_000, acceptDownloads: true }))
}

describe.skipIf(!suite.present)('multi-platform tag in the console', () => {
  it('shows both platforms with sizes and links, opens a platform image, downloads a chosen platform as a tar', async () => {
    await openDesktop()
    await page.goto(`${suite.server.url}/repositories/multi/web/-/tags/2.0`)
    await page.getByRole('heading', { name: 'multi/web:2.0' }).waitFor()
    await expect(page.getByTestId('index-badge').textContent()).resolves.toContain('2 platforms')
    const rows = page.getByTestId('platform-row')
    await expect(rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-platform')))).resolves.toEqual(['linux/amd64', 'linux/arm64/v8'])
    for (const [i, p] of built.platforms.entries()) {
      await expect(rows.nth(i).getByTestId('platform-uncompressed').textContent()).resolves.toBe(formatBytes(sum(p.layerSizes)))
      await expect(rows.nth(i).getByTestId('platform-packed').textContent()).resolves.toMatch(/^[\d.]+ [kM]?B$/)
    }
    await expect(page.getByTestId('size-uncompressed-value').textContent()).resolves.toBe(formatBytes(sum(built.platforms.flatMap((p) => p.layerSizes))))
    await expect(page.getByTestId('size-packed-value').textContent()).resolves.toBe(formatBytes(built.archive.length))
    await page.screenshot({ path: path.join(screenshots, 'multi-arch-tag.png'), fullPage: true })

    // download one platform: the saved file is a tar (ustar magic), not a JSON error
    await page.getByTestId('download-platform').selectOption('linux/arm64/v8')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-archive').click()])
    expect(download.suggestedFilename()).toBe('multi_web_2.0_linux-arm64-v8.tar')
    const file = await download.path()
    const bytes = fs.readFileSync(file!)
    expect(bytes.subarray(257, 262).toString()).toBe('ustar')
    expect(bytes.includes(Buffer.from(`"RepoTags":["multi/web:2.0"]`))).toBe(true)
    expect(bytes.includes(Buffer.from(built.platforms[1].configDigest.slice(7)))).toBe(true)
    expect(bytes.includes(Buffer.from(built.platforms[0].configDigest.slice(7)))).toBe(false)

    // a platform image has no tag: its link opens it by digest
    const detail = await (await suite.server.fetch(`/api/repositories/multi/web/tags/2.0`)).json()
    await rows.nth(1).getByRole('link', { name: shortDigest(detail.platforms[1].digest) }).click()
    await page.waitForURL('**/repositories/multi/web/-/digests/**')
    await page.getByRole('heading', { name: 'Point a tag here' }).waitFor()
    const main = (await page.locator('main').textContent()) ?? ''
    expect(main).toContain(detail.platforms[1].digest)
    expect(main).toContain('linux/arm64/v8')
    expect(main).toContain('2 layers')
    await page.screenshot({ path: path.join(screenshots, 'multi-arch-platform.png'), fullPage: true })
  })

  it('fits a phone (390 px): the tag page and a platform page have no horizontal overflow', async () => {
    // Playwright's own default timeout (30 s), as before this page was opened through the helper
    const { page: small } = await suite.open({ viewport: { width: 390, height: 844 }, timeout: 30_000 })
    const detail = await (await suite.server.fetch(`/api/repositories/multi/web/tags/2.0`)).json()
    const pages: [url: string, ready: string | null, screenshot: string][] = [
      ['/repositories/multi/web/-/tags/2.0', 'platform-row', 'multi-arch-tag-phone.png'],
      [`/repositories/multi/web/-/digests/${detail.platforms[0].digest}`, null, 'multi-arch-platform-phone.png'],
    ]
    for (const [url, ready, name] of pages) {
      await small.goto(suite.server.url + url)
      await (ready ? small.getByTestId(ready).first() : small.getByRole('heading', { name: 'Point a tag here' })).waitFor()
      await small.screenshot({ path: path.join(screenshots, name), fullPage: true })
      const width = await small.evaluate(() => document.documentElement.scrollWidth)
      expect(width, `${url} is wider than the phone`).toBeLessThanOrEqual(390)
    }
  })

  it('shows an error answer of the download instead of saving it as a file', async () => {
    await openDesktop()
    await page.goto(`${suite.server.url}/repositories/multi/web/-/tags/2.0`)
    await page.getByTestId('platform-row').first().waitFor()
    // the tag disappears after the page loaded: the download now answers 404 TAG_NOT_FOUND
    expect((await suite.server.fetch(`/api/repositories/multi/web/tags/2.0`, { method: 'DELETE' })).status).toBe(204)
    let downloads = 0
    page.on('download', () => downloads++)
    await page.getByTestId('download-archive').click()
    await expect(page.getByTestId('download-error').textContent()).resolves.toContain('TAG_NOT_FOUND')
    expect(downloads).toBe(0)
  })
})
