// The console in a real browser (Debian's Chromium via playwright-core) against the real Stowage
// process (embedded S3 server, SQLite, production Next.js build): upload archives, name an untagged
// one, see a rejected file's message, browse, search, inspect an image's sizes and layers, delete tags.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it, expect } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { browserTests } from '../helpers/browser'
import { fixtures } from '../helpers/fixtures'
import { formatBytes, shortDigest } from '../../lib/format'

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots')
const fixture = fixtures.path
const BUSYBOX = fixtures.files.busybox
const BUSYBOX_FACTS = fixtures.facts.busybox
const BUSYBOX_LAYERS = BUSYBOX_FACTS.diffIds.map((digest, i) => ({ digest, createdBy: BUSYBOX_FACTS.createdBy[i], size: BUSYBOX_FACTS.layerSizes[i] }))
const suite = browserTests({ setup: async () => fs.mkdirSync(screenshots, { recursive: true }) })

let context: BrowserContext
let page: Page

const api = async (p: string, init?: RequestInit) => suite.server.fetch(p, init)
const apiJson = async (p: string) => {
  const res = await api(p)
  expect(res.status, `GET ${p}`).toBe(200)
  return res.json() as Promise<any>
}
const uploadViaApi = async (file: string) => {
  const res = await api(`/api/uploads?filename=${encodeURIComponent(path.basename(file))}`, { method: 'POST', body: fs.readFileSync(fixture(file)) })
  expect(res.status).toBe(201)
  return res.json() as Promise<any>
}
const uploadItem = (filename: string) => page.locator(`[data-testid="upload-item"][data-filename="${filename}"]`)
const rowNames = (testId: string, attr?: string) =>
  page.getByTestId(testId).evaluateAll((rows, a) => rows.map((r) => (a ? r.getAttribute(a) : r.querySelector('a')?.textContent?.trim())), attr)
const shot = (name: string) => page.screenshot({ path: path.join(screenshots, name), fullPage: true })

async function openPage(p: string) {
  ;({ context, page } = await suite.open({ viewport: { width: 1280, height: 900 } }))
  await page.goto(suite.server.url + p)
}

describe.skipIf(!suite.present)('console', () => {
  it('uploads an archive with progress, shows what it created, and the image page shows its three sizes and layers', async () => {
    await openPage('/')
    await page.getByRole('heading', { name: 'No images yet' }).waitFor()
    await page.getByRole('link', { name: 'Upload a docker save archive' }).click()
    await page.waitForURL('**/upload')

    // A slow link (Chromium's network emulation) so the progress, speed and time left can be seen.
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 700_000 })
    await page.getByTestId('file-input').setInputFiles(fixture(BUSYBOX))
    await page.getByRole('button', { name: 'Upload 1 file' }).click()
    const item = uploadItem(path.basename(BUSYBOX))
    await item.and(page.locator('[data-phase="uploading"]')).waitFor()
    const total = formatBytes(fs.statSync(fixture(BUSYBOX)).size).replace('.', '\\.')
    await expect.poll(() => item.textContent(), { timeout: 10_000, interval: 100 }).toMatch(new RegExp(`of ${total} \\(\\d+%\\).*[\\d.]+ [kM]B/s · \\d+ s left`))
    const progress = Number(await item.getByRole('progressbar').getAttribute('aria-valuenow'))
    expect(progress).toBeGreaterThan(0)
    expect(progress).toBeLessThan(100)
    await shot('upload-progress.png')
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })

    await item.and(page.locator('[data-phase="done"]')).waitFor()
    const tags = item.getByTestId('import-tags')
    await expect(tags.textContent()).resolves.toContain('created')
    await expect(item.textContent()).resolves.toContain(`2 layers · ${formatBytes(BUSYBOX_FACTS.uncompressedSize)} uncompressed · ${formatBytes(fixtures.size(BUSYBOX))} packed · linux/amd64`)

    await tags.getByRole('link', { name: 'example.test/busybox:1.0' }).click()
    await page.waitForURL('**/repositories/example.test/busybox/-/tags/1.0')
    await page.getByRole('heading', { name: 'example.test/busybox:1.0' }).waitFor()

    const sizeText = (kind: string) => page.getByTestId(`size-${kind}-value`).textContent()
    await expect(sizeText('packed')).resolves.toBe(formatBytes(fixtures.size(BUSYBOX)))
    await expect(sizeText('uncompressed')).resolves.toBe(formatBytes(BUSYBOX_FACTS.uncompressedSize))
    // measured in the background: "computing…" until the page's polling picks up the number
    await expect.poll(() => sizeText('compressed'), { timeout: 30_000, interval: 250 }).toMatch(/^[\d.]+ [kMG]?B$/)
    const detail = await apiJson('/api/repositories/example.test/busybox/tags/1.0')
    expect(detail.sizes.compressedState).toBe('done')
    await expect(sizeText('compressed')).resolves.toBe(formatBytes(detail.sizes.compressed))

    const rows = page.getByTestId('layer-row')
    await expect(rows.count()).resolves.toBe(2)
    for (const [i, layer] of BUSYBOX_LAYERS.entries()) {
      const text = await rows.nth(i).textContent()
      expect(text).toContain(shortDigest(layer.digest))
      expect(text).toContain(layer.createdBy)
      expect(text).toContain(formatBytes(layer.size))
      expect(text).toContain(formatBytes(detail.layers[i].compressedSize))
    }
    await expect(page.getByTestId('layer-row').first().locator('text=computing…').count()).resolves.toBe(0)

    const pulls = await page.getByTestId('pull-commands').textContent()
    expect(pulls).toContain(`docker pull ${suite.server.host}/example.test/busybox:1.0`)
    expect(pulls).toContain(`podman pull --tls-verify=false ${suite.server.host}/example.test/busybox:1.0`)
    expect(pulls).toContain(`docker pull ${suite.server.host}/example.test/busybox@${detail.digest}`)
    await expect(page.getByTestId('download-archive').getAttribute('href')).resolves.toBe('/api/repositories/example.test/busybox/tags/1.0/archive')
    await expect(page.locator('main').textContent()).resolves.toContain(BUSYBOX_FACTS.cmd.join(' '))
    await shot('image.png')
  })

  it('names the untagged image before sending it, refuses the zip before sending it, renames with "name as"', async () => {
    await openPage('/upload')
    const untagged = fixtures.files.untagged
    const zip = fixtures.files.zip
    await page.getByTestId('file-input').setInputFiles([fixture(untagged), fixture(zip)])
    await expect(page.getByTestId('selected-file').count()).resolves.toBe(2)
    const selected = (name: string) => page.locator(`[data-testid="selected-file"][data-filename="${name}"]`)

    // the browser reads both files first: the zip is refused with the server's words and never sent
    const zipError = await selected('not-a-tar.zip').getByTestId('preview-rejected').textContent()
    expect(zipError).toContain('this is a zip file, not a tar archive')
    expect(zipError).toContain('NOT_A_TAR')

    // the untagged image is named before the upload (the sequential queue is covered in upload-preview.test.ts)
    const form = selected(path.basename(untagged)).getByTestId('preview-name-form')
    await shot('upload-name-required.png')
    await form.getByLabel('Repository').fill('Team/Untagged')
    await expect(form.textContent()).resolves.toContain('lower-case')
    await form.getByLabel('Repository').fill('team/untagged')
    await form.getByLabel('Tag').fill('v1')
    await page.getByRole('button', { name: 'Upload 1 file' }).click()
    const item = uploadItem(path.basename(untagged))
    await item.and(page.locator('[data-phase="done"]')).waitFor()
    await expect(uploadItem('not-a-tar.zip').count()).resolves.toBe(0)
    await expect(item.getByTestId('import-tags').textContent()).resolves.toMatch(/created\s*team\/untagged:v1/)
    const v1 = await apiJson('/api/repositories/team/untagged/tags/v1')

    // "name as" before uploading: a different image under the same name overwrites the tag
    const web = fixtures.files.web
    await page.getByTestId('file-input').setInputFiles(fixture(web))
    await page.getByLabel('Name as…').check()
    await page.locator('#name-as-repository').fill('team/untagged')
    await page.locator('#name-as-tag').fill('v1')
    await page.getByRole('button', { name: 'Upload 1 file' }).click()
    const webItem = uploadItem(path.basename(web))
    await webItem.and(page.locator('[data-phase="done"]')).waitFor()
    const webTags = await webItem.getByTestId('import-tags').textContent()
    expect(webTags).toMatch(/updated\s*team\/untagged:v1/)
    expect(webTags).toContain(`was ${shortDigest(v1.digest)}`)
    await shot('upload.png')

    const after = await apiJson('/api/repositories/team/untagged/tags/v1')
    expect(after.digest).not.toBe(v1.digest)
    expect(after.tagHistory.map((h: any) => h.digest)).toEqual([after.digest, v1.digest])
    // the rejected zip left nothing behind
    expect((await apiJson('/api/repositories')).repositories.map((r: any) => r.name)).toEqual(['example.test/busybox', 'team/untagged'])
  })

  it('lists repositories with search and pagination', async () => {
    await uploadViaApi(fixtures.files.basic) // basic:latest
    await openPage('/')
    await page.getByTestId('repository-row').first().waitFor()
    await expect(rowNames('repository-row')).resolves.toEqual(['basic', 'example.test/busybox', 'team/untagged'])
    await expect(page.getByTestId('repository-row').nth(1).textContent()).resolves.toContain('1 tag')
    await shot('repositories.png')

    await page.getByLabel('Search repositories').fill('untag')
    await page.waitForURL('**/?q=untag')
    await expect.poll(() => rowNames('repository-row')).toEqual(['team/untagged'])
    await page.getByLabel('Search repositories').fill('zzz')
    await page.getByText('No repositories match “zzz”').waitFor()

    await page.goto(suite.server.url + '/?pageSize=2')
    await page.getByTestId('repository-row').first().waitFor()
    await expect(rowNames('repository-row')).resolves.toEqual(['basic', 'example.test/busybox'])
    await expect(page.getByRole('navigation', { name: 'Pagination' }).textContent()).resolves.toContain('Showing 1–2 of 3')
    await page.getByRole('link', { name: 'Next →' }).click()
    await page.waitForURL('**/?page=2&pageSize=2')
    await expect.poll(() => rowNames('repository-row')).toEqual(['team/untagged'])
  })

  it('shows a repository’s tags and deletes them after confirmation; after the last the page lists the untagged images', async () => {
    await uploadViaApi(fixtures.files.web) // example.test/web:2.0 and :latest
    const web = await apiJson('/api/repositories/example.test/web/tags')
    await openPage('/repositories/example.test/web')
    await page.getByTestId('tag-row').first().waitFor()
    await expect(rowNames('tag-row', 'data-tag')).resolves.toEqual(web.tags.map((t: any) => t.name))
    const row = page.locator('[data-testid="tag-row"][data-tag="latest"]')
    const text = await row.textContent()
    const latest = web.tags.find((t: any) => t.name === 'latest')
    expect(text).toContain(shortDigest(latest.digest))
    expect(text).toContain('linux/amd64')
    expect(text).toContain(formatBytes(latest.sizes.uncompressed))
    await shot('repository.png')

    const dialog = page.getByRole('dialog', { name: 'Delete example.test/web:latest?' })
    await row.getByRole('button', { name: 'Delete tag example.test/web:latest' }).click()
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'hidden' })
    expect((await apiJson('/api/repositories/example.test/web/tags')).tags).toHaveLength(2)

    await row.getByRole('button', { name: 'Delete tag example.test/web:latest' }).click()
    await dialog.getByRole('button', { name: 'Delete tag' }).click()
    await expect.poll(() => rowNames('tag-row', 'data-tag')).toEqual(['2.0'])
    expect((await apiJson('/api/repositories/example.test/web/tags')).tags.map((t: any) => t.name)).toEqual(['2.0'])

    await page.getByRole('button', { name: 'Delete tag example.test/web:2.0' }).click()
    await page.getByRole('dialog', { name: 'Delete example.test/web:2.0?' }).getByRole('button', { name: 'Delete tag' }).click()
    // the page stays: the images are untagged now, pullable by digest until garbage collection deletes them
    await page.getByRole('heading', { name: 'This repository has no tags' }).waitFor()
    const untagged = await page.getByTestId('untagged-image').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-digest')))
    expect(untagged.sort()).toEqual([...new Set(web.tags.map((t: any) => t.digest))].sort())
    expect(page.url()).toBe(suite.server.url + '/repositories/example.test/web')
    // and so does the repository in the list (_catalog agrees: it holds manifests)
    await page.goto(suite.server.url + '/')
    await page.getByTestId('repository-row').first().waitFor()
    expect(await rowNames('repository-row')).toContain('example.test/web')
  })

  it('deletes a tag from the image page', async () => {
    await openPage('/repositories/basic')
    await page.getByRole('link', { name: 'latest' }).click()
    await page.waitForURL('**/repositories/basic/-/tags/latest')
    await page.getByRole('button', { name: 'Delete tag basic:latest' }).click()
    await page.getByRole('dialog', { name: 'Delete basic:latest?' }).getByRole('button', { name: 'Delete tag' }).click()
    // back to the repository, where the image is listed as untagged
    await page.waitForURL(suite.server.url + '/repositories/basic')
    await page.getByTestId('untagged-image').first().waitFor()
    expect((await api('/api/repositories/basic/tags/latest')).status).toBe(404)
  })

  it('explains missing repositories, tags and pages', async () => {
    await openPage('/repositories/nothing/here')
    await page.getByRole('heading', { name: 'Repository not found' }).waitFor()
    await expect(page.getByTestId('error-panel').textContent()).resolves.toContain('repository "nothing/here" does not exist')

    await page.goto(suite.server.url + '/repositories/example.test/busybox/-/tags/nope')
    await page.getByRole('heading', { name: 'Tag not found' }).waitFor()
    await expect(page.getByTestId('error-panel').textContent()).resolves.toContain('example.test/busybox:nope does not exist')

    const res = await page.goto(suite.server.url + '/repositories/example.test/busybox/-/layers/x')
    expect(res?.status()).toBe(404)
    await page.getByRole('heading', { name: 'Page not found' }).waitFor()
  })
})
