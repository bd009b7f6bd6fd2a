// Every console page at phone (390×844) and desktop (1366×900) width, in Chromium against the real
// Stowage process: no horizontal overflow of the document, nothing cut off (delete button, pull
// commands), screenshots of each page at both sizes in tests/screenshots/ (looked at by a person);
// text contrast measured in the browser (WCAG AA); first content rendered on the server (plain fetch,
// no JavaScript); no prefetch per row; delete and "point the tag back here" confirm what they did.
import fs from 'node:fs'
import zlib from 'node:zlib'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { describe, it, expect } from 'vitest'
import type { Page } from 'playwright-core'
import { browserTests } from '../helpers/browser'
import { overflowingElements } from '../helpers/layout'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { shortDigest } from '../../lib/format'

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots')
const REPO = 'example.test/a-rather-long-team-name/with-a-long-image-name'
const TAG = 'v1.2.3-release-candidate'
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1366, height: 900 } } as const

let page: Page
let dir: string
let current: string // the tag's image now
let earlier: string // the image the tag pointed to before
let layerDigests: string[]
let untaggedFile: string
let randomFile: string
let untaggedGzFile: string
let corruptGzFile: string

const upload = async (archive: Buffer, name = 'x.tar') => {
  const res = await suite.server.fetch(`/api/uploads?filename=${name}`, { method: 'POST', body: new Uint8Array(archive) })
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as any
}

const suite = browserTests({
  timeout: 180_000,
  setup: async () => {
    fs.mkdirSync(screenshots, { recursive: true })
    // the tag first points at one image, then at another (tag history with an earlier digest); the
    // current image has one layer of ~99 % and two tiny ones
    const first = await makeDockerArchive({ repoTags: [`${REPO}:${TAG}`], layers: [await makeLayer(20_000)] })
    earlier = (await upload(first.archive)).images[0].manifestDigest
    const layers = [await makeLayer(1_000_000), await makeLayer(300), await makeLayer(300)]
    const second = await makeDockerArchive({ repoTags: [`${REPO}:${TAG}`, `${REPO}:latest`], layers })
    current = (await upload(second.archive)).images[0].manifestDigest
    layerDigests = second.diffIds
    // enough rows that prefetching each would show
    for (let i = 0; i < 8; i++) await upload((await makeDockerArchive({ repoTags: [`rows/r${i}:1`], layers: [await makeLayer(1000 * (i + 1))] })).archive)
    dir = fs.mkdtempSync(path.join(suite.server.dataDir, 'files-'))
    untaggedFile = path.join(dir, 'untagged-image.tar')
    fs.writeFileSync(untaggedFile, (await makeDockerArchive({ repoTags: null, layers: [await makeLayer(2000)] })).archive)
    randomFile = path.join(dir, 'random-bytes.bin')
    fs.writeFileSync(randomFile, randomBytes(100))
    untaggedGzFile = path.join(dir, 'untagged-image.tar.gz')
    fs.writeFileSync(untaggedGzFile, zlib.gzipSync(fs.readFileSync(untaggedFile)))
    corruptGzFile = path.join(dir, 'corrupt.tar.gz')
    fs.writeFileSync(corruptGzFile, Buffer.concat([zlib.gzipSync(fs.readFileSync(untaggedFile)).subarray(0, 40), randomBytes(300)]))
    await seedAccounts()
  },
})

// The account pages' content: an organization with long names, members, a robot with a token, limits
// with usage bars, tokens, and the audit events all of that made.
const ORG = 'a-rather-long-organization-name'
async function seedAccounts() {
  const send = async (p: string, method: string, body: unknown) => {
    const res = await suite.server.fetch(p, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    expect(res.status, `${method} ${p}: ${await res.clone().text()}`).toBeLessThan(300)
  }
  await send('/api/organizations', 'POST', { name: ORG })
  await send('/api/users', 'POST', { name: 'a-person-with-a-rather-long-user-name', password: 'a long enough password for tests' })
  await send(`/api/organizations/${ORG}/members/a-person-with-a-rather-long-user-name`, 'PUT', { role: 'push' })
  await send(`/api/organizations/${ORG}/robots`, 'POST', { name: 'continuous-integration', role: 'push' })
  await send('/api/tokens', 'POST', { name: 'deploy-from-the-release-pipeline', organization: ORG, access: 'pull', expiresAt: '2099-12-31T00:00:00Z', robot: `${ORG}+continuous-integration` })
  await send('/api/tokens', 'POST', { name: 'my-laptop-for-everyday-pushes', organization: ORG, access: 'push', expiresAt: null })
  await send(`/api/organizations/${ORG}`, 'PATCH', { pushRatePerSecond: 50, quotaRepositories: 10, quotaTagsPerRepository: 100, quotaBytes: 5_000_000_000 })
}

async function open(viewport: keyof typeof VIEWPORTS, p: string) {
  ;({ page } = await suite.open({ viewport: VIEWPORTS[viewport] }))
  await page.goto(suite.server.url + p)
}

const overflowing = () => overflowingElements(page)

async function checkLayout(name: string, viewport: keyof typeof VIEWPORTS) {
  await page.waitForLoadState('networkidle')
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
  await page.screenshot({ path: path.join(screenshots, `responsive-${name}-${viewport}.png`), fullPage: true })
  expect(scrollWidth, `${name} at ${viewport}: document width`).toBeLessThanOrEqual(innerWidth)
  expect(await overflowing(), `${name} at ${viewport}: elements past the right edge`).toEqual([])
}

const enc = (r: string) => r.split('/').map(encodeURIComponent).join('/')
const PAGES: [name: string, path: () => string, ready: () => Promise<unknown>][] = [
  ['repositories', () => '/', () => page.getByTestId('repository-row').first().waitFor()],
  ['search', () => '/?q=long', () => page.getByTestId('repository-row').first().waitFor()],
  ['tags', () => `/repositories/${enc(REPO)}`, () => page.getByTestId('tag-row').first().waitFor()],
  ['image', () => `/repositories/${enc(REPO)}/-/tags/${TAG}`, () => page.getByTestId('layer-row').first().waitFor()],
  ['digest', () => `/repositories/${enc(REPO)}/-/digests/${earlier}?tag=${TAG}`, () => page.getByRole('heading', { name: 'Point a tag here' }).waitFor()],
  ['upload', () => '/upload', () => page.getByTestId('file-input').waitFor({ state: 'attached' })],
  ['not-found', () => '/no/such/page', () => page.getByRole('heading', { name: 'Page not found' }).waitFor()],
  ['organizations', () => '/organizations', () => page.getByTestId('organization-row').first().waitFor()],
  ['organization', () => `/organizations/${ORG}`, () => page.getByTestId('robot-row').getByTestId('token-row').first().waitFor()],
  ['tokens', () => '/tokens', () => page.getByTestId('token-row').nth(1).waitFor()],
  ['users', () => '/users', () => page.getByTestId('user-row').nth(1).waitFor()],
  ['audit', () => '/audit', () => page.getByTestId('audit-row').first().waitFor()],
  ['storage', () => '/storage', () => page.getByTestId('job-counts').first().waitFor()],
]

describe.skipIf(!suite.present)('console at phone and desktop width', () => {
  for (const viewport of ['phone', 'desktop'] as const) {
    for (const [name, p, ready] of PAGES) {
      it(`${name} at ${viewport}: no horizontal overflow`, async () => {
        await open(viewport, p())
        await ready()
        await checkLayout(name, viewport)
        if (name === 'image') {
          // nothing cut off: the delete button and every pull command are fully visible
          const del = (await page.getByRole('button', { name: `Delete tag ${REPO}:${TAG}` }).boundingBox())!
          expect(del.x).toBeGreaterThanOrEqual(0)
          expect(del.x + del.width).toBeLessThanOrEqual(VIEWPORTS[viewport].width)
          const commands = page.getByTestId('pull-command')
          await expect(commands.count()).resolves.toBeGreaterThan(1)
          for (const c of await commands.all()) {
            const fits = await c.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1)
            expect(fits, `${await c.textContent()} is fully visible`).toBe(true)
          }
        }
      })
    }

    it(`a failed upload and the "needs a name" form at ${viewport}`, async () => {
      await open(viewport, '/upload')
      // read in the browser first: the random bytes are refused and the untagged image asks for a name, before sending
      await page.getByTestId('file-input').setInputFiles([untaggedFile, randomFile, untaggedGzFile, corruptGzFile])
      await page.locator('[data-testid="selected-file"][data-filename="random-bytes.bin"]').getByTestId('preview-rejected').waitFor()
      await page.getByTestId('preview-name-form').waitFor()
      await checkLayout('upload-preview', viewport)
      // gzipped archives are left to the server: one fails, the other needs a name after the upload
      await page.getByRole('button', { name: 'Remove untagged-image.tar', exact: true }).click()
      await page.getByRole('button', { name: 'Upload 2 files' }).click()
      await page.locator('[data-testid="upload-item"][data-filename="corrupt.tar.gz"][data-phase="failed"]').waitFor({ timeout: 30_000 })
      await page.locator('[data-testid="upload-item"][data-filename="untagged-image.tar.gz"][data-phase="failed"]').waitFor()
      await page.getByTestId('name-form').waitFor()
      await checkLayout('upload-failed', viewport)
    })

    it(`a new token's secret and the limits form at ${viewport}`, async () => {
      await open(viewport, '/tokens')
      await page.getByLabel('Token name').fill(`shown-once-at-${viewport}`)
      await page.getByLabel('Organization').selectOption(ORG)
      await page.getByRole('button', { name: 'Create token' }).click()
      await page.getByTestId('token-secret').waitFor()
      await checkLayout('token-secret', viewport)
      expect(await lowContrast(), 'contrast of the token secret').toEqual([])
      await open(viewport, `/organizations/${ORG}`)
      await page.getByRole('form', { name: 'Limits' }).waitFor()
      await page.getByRole('form', { name: 'Add member' }).waitFor()
      await checkLayout('organization-forms', viewport)
    })
  }
})

/** WCAG contrast of every visible text in the page (and the search placeholder), measured in Chromium. */
const lowContrast = () =>
  page.evaluate(() => {
    const canvas = document.createElement('canvas')
    canvas.width = canvas.height = 1
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!
    // any CSS color (Tailwind 4 uses oklch) -> sRGB bytes, through the canvas
    const rgba = (css: string): [number, number, number, number] => {
      ctx.clearRect(0, 0, 1, 1)
      ctx.fillStyle = '#000'
      ctx.fillStyle = css
      ctx.fillRect(0, 0, 1, 1)
      const d = ctx.getImageData(0, 0, 1, 1).data
      return [d[0], d[1], d[2], d[3] / 255]
    }
    const over = (top: number[], a: number, under: number[]) => top.map((c, i) => c * a + under[i] * (1 - a))
    const backgroundOf = (el: Element | null): number[] => {
      const layers: [number, number, number, number][] = []
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor)
        if (c[3] > 0) layers.push(c)
        if (c[3] >= 1) break
      }
      let bg = [255, 255, 255]
      for (const c of layers.reverse()) bg = over(c.slice(0, 3), c[3], bg)
      return bg
    }
    const luminance = (rgb: number[]) => {
      const [r, g, b] = rgb.map((v) => {
        const s = v / 255
        return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      })
      return 0.2126 * r + 0.7152 * g + 0.0722 * b
    }
    const ratio = (a: number[], b: number[]) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
      return (hi + 0.05) / (lo + 0.05)
    }
    const opacityOf = (el: Element | null) => {
      let o = 1
      for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity)
      return o
    }
    const bad: string[] = []
    const check = (el: Element, color: string, what: string) => {
      const style = getComputedStyle(el)
      const bg = backgroundOf(el)
      const c = rgba(color)
      const fg = over(c.slice(0, 3), c[3] * opacityOf(el), bg)
      const size = parseFloat(style.fontSize)
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
      const r = ratio(fg, bg)
      if (r < (large ? 3 : 4.5)) bad.push(`${r.toFixed(2)}:1 ${what} ${el.tagName.toLowerCase()}.${String(el.getAttribute('class') ?? '').slice(0, 50)}`)
    }
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const text = Array.from(el.childNodes).filter((n) => n.nodeType === 3 && n.textContent!.trim()).map((n) => n.textContent!.trim()).join(' ')
      if (!text || ['SCRIPT', 'STYLE', 'OPTION', 'TITLE'].includes(el.tagName)) continue
      const r = el.getBoundingClientRect()
      if (r.width <= 1 || r.height <= 1 || getComputedStyle(el).visibility === 'hidden') continue
      // decorative text and inactive controls are exempt (WCAG 1.4.3)
      if (el.closest('[aria-hidden="true"], [aria-disabled="true"], :disabled, dialog:not([open])')) continue
      check(el, getComputedStyle(el).color, `"${text.slice(0, 30)}"`)
    }
    for (const input of Array.from(document.querySelectorAll('input[placeholder]'))) check(input, getComputedStyle(input, '::placeholder').color, `placeholder "${input.getAttribute('placeholder')}"`)
    return bad
  })

describe.skipIf(!suite.present)('contrast, server rendering, prefetching, confirmations', () => {
  it('every text meets WCAG AA contrast (4.5:1, 3:1 for large text) on the list, tags, image, digest, 404, upload, account and storage pages', async () => {
    await open('desktop', '/?pageSize=3') // pagination counts shown
    await page.getByRole('navigation', { name: 'Pagination' }).waitFor()
    const found: string[] = (await lowContrast()).map((b) => `list: ${b}`)
    for (const [name, p, ready] of PAGES.filter(([n]) => ['tags', 'image', 'digest', 'not-found', 'organizations', 'organization', 'tokens', 'users', 'audit', 'storage'].includes(n))) {
      await page.goto(suite.server.url + p())
      await ready()
      found.push(...(await lowContrast()).map((b) => `${name}: ${b}`))
    }
    // the upload page: the browser's preview of chosen files (a name to ask for, a refusal), then results
    await page.goto(suite.server.url + '/upload')
    await page.getByTestId('file-input').setInputFiles([untaggedFile, randomFile])
    await page.getByTestId('preview-name-form').waitFor()
    await page.getByTestId('preview-rejected').waitFor()
    found.push(...(await lowContrast()).map((b) => `upload preview: ${b}`))
    await page.getByRole('button', { name: 'Remove random-bytes.bin', exact: true }).click()
    const nameForm = page.getByTestId('preview-name-form')
    await nameForm.getByLabel('Repository').fill('contrast/app')
    await nameForm.getByLabel('Tag', { exact: true }).fill('1')
    await page.getByRole('button', { name: 'Upload 1 file' }).click()
    await page.locator('[data-testid="upload-item"][data-phase="done"]').waitFor()
    found.push(...(await lowContrast()).map((b) => `upload result: ${b}`))
    expect(found).toEqual([])
  })

  it('renders the first content on the server: deep links hold their rows without JavaScript', async () => {
    const html = async (p: string) => {
      const res = await suite.server.fetch(p)
      expect(res.status).toBe(200)
      return res.text()
    }
    const list = await html('/?q=long')
    expect(list).toContain('data-testid="repository-row"')
    expect(list).toContain(`data-repository="${REPO}"`)
    expect(list).not.toContain('data-repository="rows/r0"')
    const tags = await html(`/repositories/${enc(REPO)}`)
    expect(tags).toContain(`data-tag="${TAG}"`)
    const image = await html(`/repositories/${enc(REPO)}/-/tags/${TAG}`)
    expect(image).toContain('data-testid="layer-row"')
    for (const d of layerDigests) expect(image).toContain(shortDigest(d))
    const sorted = await html('/?sort=size')
    const order = [...sorted.matchAll(/data-repository="([^"]+)"/g)].map((m) => m[1])
    expect(order.slice(0, 3)).toEqual([REPO, 'rows/r7', 'rows/r6'])
  })

  it('does not prefetch a page per row, and sorts by size from the page', async () => {
    const requested: string[] = []
    ;({ page } = await suite.open({ viewport: VIEWPORTS.desktop }))
    page.on('request', (r) => requested.push(r.url()))
    await page.goto(suite.server.url + '/')
    await page.getByTestId('repository-row').nth(8).waitFor()
    await page.waitForLoadState('networkidle')
    await page.waitForTimeout(1500)
    expect(requested.filter((u) => new URL(u).pathname.startsWith('/repositories/'))).toEqual([])

    await page.getByLabel('Sort repositories by').selectOption('size')
    await page.waitForURL('**/?sort=size')
    await expect.poll(() => page.getByTestId('repository-row').first().getAttribute('data-repository')).toBe(REPO)
  })

  it('shows each layer once, with a share bar readable when one layer is 99 %', async () => {
    await open('desktop', `/repositories/${enc(REPO)}/-/tags/${TAG}`)
    const rows = page.getByTestId('layer-row')
    await rows.first().waitFor()
    await expect(rows.count()).resolves.toBe(3)
    const main = (await page.locator('main').textContent())!
    for (const d of layerDigests) expect(main.split(shortDigest(d)).length - 1, `${shortDigest(d)} shown once`).toBe(1)
    const labels = await page.getByTestId('layer-share-label').allTextContents()
    expect(Number(labels[0].replace('%', ''))).toBeGreaterThanOrEqual(99)
    expect(labels.slice(1).every((l) => /^(<0\.1|0\.\d)%$/.test(l))).toBe(true)
    for (const bar of await page.getByTestId('layer-share-bar').all()) expect((await bar.boundingBox())!.width).toBeGreaterThanOrEqual(2)
  })

  it('points the tag back at an earlier image from its history, and confirms deleting a tag', async () => {
    await open('phone', `/repositories/${enc(REPO)}/-/tags/${TAG}`)
    const history = page.getByTestId('tag-history')
    await expect(history.getByRole('link', { name: shortDigest(earlier) }).getAttribute('href')).resolves.toBe(`/repositories/${enc(REPO)}/-/digests/${encodeURIComponent(earlier)}?tag=${TAG}`)
    await history.getByRole('button', { name: `Point ${REPO}:${TAG} to ${shortDigest(earlier)}` }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Point tag here' }).click()
    await page.getByTestId('flash').filter({ hasText: `${REPO}:${TAG} now points to ${shortDigest(earlier)}` }).waitFor()
    await expect.poll(() => page.getByTestId('tag-history-entry').first().textContent()).toContain('via console')
    const detail = await (await suite.server.fetch(`/api/repositories/${REPO}/tags/${TAG}`)).json()
    expect(detail.digest).toBe(earlier)

    // the digest page of the (now) earlier image, reached from the history
    await page.getByTestId('tag-history').getByRole('link', { name: shortDigest(current) }).click()
    await page.waitForURL(`**/-/digests/${encodeURIComponent(current)}**`)
    await expect(page.getByTestId('digest-tags').textContent()).resolves.toContain('latest')

    await page.goto(`${suite.server.url}/repositories/${enc(REPO)}`)
    await page.getByRole('button', { name: `Delete tag ${REPO}:latest` }).click()
    await page.getByRole('dialog', { name: `Delete ${REPO}:latest?` }).getByRole('button', { name: 'Delete tag' }).click()
    await page.getByRole('status').getByText(`Deleted tag ${REPO}:latest`).waitFor()
    await expect.poll(() => page.getByTestId('tag-row').count()).toBe(1)
  })
})
