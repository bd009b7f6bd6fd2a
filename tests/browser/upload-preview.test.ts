// The upload page reads archives in the browser before sending them (real Chromium, real Stowage process):
// an untagged archive is named before the upload and the request carries the name; an archive that
// overwrites a tag shows the move with the current and new digest (and the new digest is the one the
// server then records); a zip is refused at once without any request; the drop zone is one tab stop;
// an unnamed .tar.gz (not readable in the browser) gets a name form in words, not query parameters;
// chosen files are sent in parallel.
import zlib from 'node:zlib'
import { describe, it, expect } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { browserTests, tusMetadataAsQuery } from '../helpers/browser'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { shortDigest } from '../../lib/format'

const suite = browserTests()

let context: BrowserContext
let page: Page
let uploadRequests: string[] = []

const tarFile = (name: string, buffer: Buffer) => ({ name, mimeType: 'application/x-tar', buffer })
const selectedFile = (name: string) => page.locator(`[data-testid="selected-file"][data-filename="${name}"]`)
const uploadItem = (name: string) => page.locator(`[data-testid="upload-item"][data-filename="${name}"]`)
const apiJson = async (p: string) => {
  const res = await suite.server.fetch(p)
  expect(res.status, `GET ${p}`).toBe(200)
  return res.json() as Promise<any>
}

async function openUploadPage() {
  ;({ context, page } = await suite.open({ viewport: { width: 1280, height: 900 } }))
  uploadRequests = []
  page.on('request', (r) => {
    // uploads are resumable (tus): the names travel in the creation request's Upload-Metadata
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/uploads/tus') uploadRequests.push(tusMetadataAsQuery(r.headers()['upload-metadata'] ?? ''))
  })
  await page.goto(suite.server.url + '/upload')
  await page.getByTestId('drop-zone').waitFor()
}

describe.skipIf(!suite.present)('upload page: the browser reads the archive before sending it', () => {
  it('asks for the name of an untagged image before sending, and the request carries it', async () => {
    const { archive } = await makeDockerArchive({ repoTags: null, layers: [await makeLayer(300_000), await makeLayer(2000)] })
    await openUploadPage()
    await page.getByTestId('file-input').setInputFiles(tarFile('untagged.tar', archive))
    const file = selectedFile('untagged.tar')
    const form = file.getByTestId('preview-name-form')
    await form.waitFor()
    await expect(file.getByTestId('preview-image').textContent()).resolves.toMatch(/linux\/amd64 · 2 layers · no name in the archive/)
    const upload = page.getByRole('button', { name: 'Upload 1 file' })
    await expect(upload.isDisabled()).resolves.toBe(true)

    await form.getByLabel('Repository').fill('team/named')
    await form.getByLabel('Tag').fill('v1')
    const tagLine = file.locator('[data-testid="preview-tag"][data-tag="team/named:v1"]')
    await tagLine.and(page.locator('[data-outcome="created"]')).waitFor()
    const predicted = await tagLine.locator('[title^="sha256:"]').getAttribute('title')
    await page.screenshot({ path: '/tmp/upload-preview-untagged.png', fullPage: true }).catch(() => {})
    expect(uploadRequests, 'nothing is sent while the page asks for a name').toEqual([])

    await upload.click()
    const item = uploadItem('untagged.tar')
    await item.and(page.locator('[data-phase="done"]')).waitFor()
    expect(uploadRequests).toHaveLength(1)
    const params = new URL(uploadRequests[0]).searchParams
    expect([params.get('repository'), params.get('tag')]).toEqual(['team/named', 'v1'])
    await expect(item.getByTestId('import-tags').textContent()).resolves.toMatch(/created\s*team\/named:v1/)
    expect((await apiJson('/api/repositories/team/named/tags/v1')).digest).toBe(predicted)
  })

  it('shows that an archive would move an existing tag, with the current and the new digest, before sending it', async () => {
    const first = await makeDockerArchive({ repoTags: ['team/moving:1'], layers: [await makeLayer(2_000_000)] })
    const res = await suite.server.fetch(`/api/uploads`, { method: 'POST', body: new Uint8Array(first.archive) })
    expect(res.status).toBe(201)
    const current = (await res.json()).tags[0].digest
    const second = await makeDockerArchive({ repoTags: ['team/moving:1', 'team/moving:2'], layers: [await makeLayer(6000), await makeLayer(100)] })

    await openUploadPage()
    await page.getByTestId('file-input').setInputFiles([tarFile('same.tar', first.archive), tarFile('moving.tar', second.archive)])
    const moving = selectedFile('moving.tar')
    const moved = moving.locator('[data-testid="preview-tag"][data-tag="team/moving:1"]')
    await moved.and(page.locator('[data-outcome="updated"]')).waitFor()
    const text = (await moved.textContent())!
    expect(text).toContain(`would move from sha256:${shortDigest(current)}`)
    const next = await moved.locator('[title^="sha256:"]').last().getAttribute('title')
    expect(next).not.toBe(current)
    expect(text).toContain(`to sha256:${shortDigest(next)}`)
    await moving.locator('[data-testid="preview-tag"][data-tag="team/moving:2"][data-outcome="created"]').waitFor()
    await selectedFile('same.tar').locator('[data-testid="preview-tag"][data-tag="team/moving:1"][data-outcome="unchanged"]').waitFor()
    await page.screenshot({ path: '/tmp/upload-preview-moving.png', fullPage: true }).catch(() => {})
    expect(uploadRequests).toEqual([])

    // files are sent in parallel (resumable uploads, up to three at once): both are on their way together
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 500_000 })
    await page.getByRole('button', { name: 'Upload 2 files' }).click()
    await uploadItem('same.tar').and(page.locator('[data-phase="uploading"]')).waitFor()
    await uploadItem('moving.tar').and(page.locator('[data-phase="uploading"], [data-phase="importing"], [data-phase="done"]')).waitFor()
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
    await uploadItem('moving.tar').and(page.locator('[data-phase="done"]')).waitFor()
    await uploadItem('same.tar').and(page.locator('[data-phase="done"]')).waitFor()
    await expect(uploadItem('moving.tar').getByTestId('import-tags').textContent()).resolves.toMatch(/created\s*team\/moving:2/)
    // the digest the page predicted is the one the server recorded (moving:1 ends wherever the later commit put it)
    expect((await apiJson('/api/repositories/team/moving/tags/2')).digest).toBe(next)
  })

  it('refuses a zip at once with the server\'s message, and sends nothing', async () => {
    await openUploadPage()
    const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(6000, 7)])
    await page.getByTestId('file-input').setInputFiles({ name: 'images.zip', mimeType: 'application/zip', buffer: zip })
    const refused = selectedFile('images.zip').getByTestId('preview-rejected')
    await refused.waitFor()
    const text = (await refused.textContent())!
    expect(text).toContain('this is a zip file, not a tar archive')
    expect(text).toContain('NOT_A_TAR')
    await expect(page.getByRole('button', { name: 'Upload 0 files' }).isDisabled()).resolves.toBe(true)
    expect(uploadRequests).toEqual([])
  })

  it('the drop zone is a single tab stop', async () => {
    await openUploadPage()
    const zone = page.getByTestId('drop-zone')
    const focusable = await zone.evaluate((el) => [el, ...el.querySelectorAll('*')].filter((e) => (e as HTMLElement).tabIndex >= 0).length)
    expect(focusable).toBe(1)
    await zone.focus()
    await page.keyboard.press('Tab')
    const insideZone = await zone.evaluate((el) => el.contains(document.activeElement))
    expect(insideZone, 'Tab leaves the drop zone').toBe(false)
  })

  it('a gzipped archive is left to the server; when its image has no name, the page asks in words, not in query parameters', async () => {
    const { archive } = await makeDockerArchive({ repoTags: null, layers: [await makeLayer(3000)] })
    await openUploadPage()
    await page.getByTestId('file-input').setInputFiles({ name: 'untagged.tar.gz', mimeType: 'application/gzip', buffer: zlib.gzipSync(archive) })
    await expect(selectedFile('untagged.tar.gz').getByTestId('preview-note').textContent()).resolves.toContain('gzip-compressed')
    await page.getByRole('button', { name: 'Upload 1 file' }).click()
    const item = uploadItem('untagged.tar.gz')
    await item.and(page.locator('[data-phase="failed"]')).waitFor()
    const error = (await item.getByTestId('upload-error').textContent())!
    expect(error).toContain('NAME_REQUIRED')
    expect(error).not.toContain('?repository')
    expect(error).toContain('Type a repository and a tag below')
    await item.getByTestId('name-form').waitFor()
  })
})
