// The file browser of issue 13 in the real console (Chromium against the real Stowage process, the
// layer indexes built by its own background jobs), on SQLite and PostgreSQL: a layer opens from its
// row, folders open, sort by size, path search, a file downloads with its exact bytes, symlink targets
// and whiteout markers show, a 250-entry folder pages at 200, a layer that is not a tar says so; the whole
// image (layers merged) shows the layer that overwrote a file and hides what a whiteout or an opaque
// directory deleted; the wasted-space panel shows the API's figures; the compare page's headline names
// the folder that grew; the image and compare pages fit 390 px without horizontal scroll.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it, expect } from 'vitest'
import type { Page } from 'playwright-core'
import { browserTests } from '../helpers/browser'
import { overflowingElements } from '../helpers/layout'
import { makeDockerArchive } from '../helpers/make-archive'
import { tarEntry, tarEnd } from '../helpers/layer-tar'
import { providers } from '../helpers/stack'
import { compareHeadline } from '../../components/compare/compare-types'
import { percentOf } from '../../components/layers/analysis-types'
import { formatBytes } from '../../lib/format'
import { serverDatabase } from '../helpers/browser-database'

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots')
const REPO = 'files/app'
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 900 }
const osRelease = Buffer.from('NAME="Stowage test"\nID=stowage\n')
const small = Buffer.alloc(100, 's')
const big = Buffer.alloc(5000, 'b')
const M = 1_700_000_000

// layer 1: the base; names sort one way by name and the other by size
const base = Buffer.concat([
  tarEntry({ name: 'etc/', type: '5', mode: 0o755 }),
  tarEntry({ name: 'etc/os-release', mode: 0o644, mtime: M }, osRelease),
  tarEntry({ name: 'etc/shadow', mode: 0o640, gid: 42 }, Buffer.from('root:*:1::::::\n')),
  tarEntry({ name: 'usr/lib/a-small.so', mode: 0o755 }, small),
  tarEntry({ name: 'usr/lib/z-big.so', mode: 0o4755, uid: 1000, gid: 1000 }, big),
  tarEntry({ name: 'usr/bin/tool', type: '2', linkname: '../lib/z-big.so', mode: 0o777 }),
  tarEntry({ name: 'app/config.json' }, Buffer.from('{"v":1}')),
  tarEnd(),
])
// layer 2: overwrites a file, deletes another (whiteout), hides a directory of layer 1 (opaque)
const update = Buffer.concat([tarEntry({ name: 'app/config.json' }, Buffer.from('{"v":2,"more":true}')), tarEntry({ name: 'etc/.wh.shadow' }), tarEntry({ name: 'usr/bin/.wh..wh..opq' }), tarEnd()])
// layer 3: one folder of 250 files (two pages of 200)
const flat = Buffer.concat([...Array.from({ length: 250 }, (_, i) => tarEntry({ name: `flat/f${String(i).padStart(3, '0')}` }, Buffer.alloc(10, 'x'))), tarEnd()])
// layer 4: not a tar
const notATar = Buffer.from('this is not a tar archive, only text. '.repeat(40))
// v2 = v1 plus a layer of 50 kB deep in usr/lib
const grown = Buffer.concat([tarEntry({ name: 'usr/lib/py/blob.bin' }, Buffer.alloc(50_000, 'p')), tarEntry({ name: 'usr/lib/py/small.txt' }, Buffer.alloc(500, 't')), tarEnd()])

describe.each(providers)('file browser (%s)', (provider) => {
  let page: Page

  const database = serverDatabase(provider, 'stowage-file-browser-')
  const suite = browserTests({
    timeout: 180_000,
    env: database.env,
    setup: async () => {
      fs.mkdirSync(screenshots, { recursive: true })
      for (const [tag, layers] of [
        ['v1', [base, update, flat, notATar]],
        ['v2', [base, update, flat, notATar, grown]],
      ] as const) {
        const { archive } = await makeDockerArchive({ repoTags: [`${REPO}:${tag}`], layers: [...layers] })
        const res = await suite.server.fetch(`/api/uploads?filename=${tag}.tar`, { method: 'POST', body: new Uint8Array(archive) })
        expect(res.status, await res.clone().text()).toBe(201)
      }
    },
  })

  async function openImage(viewport = DESKTOP) {
    ;({ page } = await suite.open({ viewport, acceptDownloads: true, timeout: 30_000 }))
    await page.goto(`${suite.server.url}/repositories/${REPO}/-/tags/v1`)
  }
  const browser = () => page.getByTestId('file-browser')
  const row = (name: string) => browser().locator(`[data-testid="file-row"][data-name="${name}"]`)
  const names = () => browser().getByTestId('file-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))
  /** a layer opened from its row's "Browse files" button; the rows come once its index is built */
  async function browseLayer(n: number) {
    await page.getByRole('button', { name: `Browse files of layer ${n}` }).click()
    await expect.poll(() => page.getByTestId('files-choice').inputValue()).toBe(String(n - 1))
  }

  it.skipIf(!suite.present)('opens a layer, a folder in it, sorts by size, searches paths', async () => {
    await openImage()
    await browseLayer(1)
    await row('usr').waitFor()
    expect(await names()).toEqual(['app', 'etc', 'usr'])
    // per-directory totals: the regular files below usr (the symlink has no bytes)
    await expect.poll(() => row('usr').getByTestId('dir-totals').textContent()).toBe('5.10 kB · 2 files')
    expect(await browser().getByTestId('folder-files').textContent()).toBe('5')
    await row('usr').getByRole('button').click()
    await row('lib').getByRole('button').click()
    await row('z-big.so').waitFor()
    expect(await browser().getByTestId('file-crumbs').textContent()).toContain('usr/lib')
    expect(await names()).toEqual(['a-small.so', 'z-big.so'])
    // mode as ls writes it (setuid), owner, size
    await expect(row('z-big.so').textContent()).resolves.toMatch(/-rwsr-xr-x.*1000:1000/)
    await browser().getByRole('button', { name: 'Size', exact: true }).click()
    await expect.poll(names).toEqual(['z-big.so', 'a-small.so'])
    // back up through the breadcrumb, into usr/bin: the symlink's target, no download for a link
    await browser().getByTestId('file-crumbs').getByRole('button', { name: 'usr' }).click()
    await row('bin').getByRole('button').click()
    await expect(row('tool').getByTestId('link-target').textContent()).resolves.toBe('→ ../lib/z-big.so')
    expect(await row('tool').getByTestId('download').count()).toBe(0)
    // search: every path holding "big", whatever its folder
    await browser().getByRole('searchbox').fill('BIG')
    await browser().getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => browser().getByTestId('file-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))).toEqual(['usr/lib/z-big.so'])
    await expect(browser().getByTestId('files-summary').textContent()).resolves.toContain('1 matching path')
  })

  it.skipIf(!suite.present)('downloads a file with its exact bytes; directories have no download', async () => {
    await openImage()
    await browseLayer(1)
    await row('etc').getByRole('button').click()
    await row('os-release').waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), row('os-release').getByTestId('download').click()])
    expect(fs.readFileSync((await download.path())!)).toEqual(osRelease)
    expect(download.suggestedFilename()).toBe('os-release')
    await browser().getByTestId('file-crumbs').getByRole('button', { name: 'layer 1: top folder' }).click()
    await row('etc').waitFor()
    expect(await browser().getByTestId('download').count()).toBe(0)
  })

  it.skipIf(!suite.present)('shows whiteout and opaque markers in the layer that deletes', async () => {
    await openImage()
    await browseLayer(2)
    await row('etc').getByRole('button').click()
    await expect(row('.wh.shadow').textContent()).resolves.toContain('whiteout')
    await expect(row('.wh.shadow').textContent()).resolves.toContain('deletes etc/shadow')
    await browser().getByTestId('file-crumbs').getByRole('button', { name: 'layer 2: top folder' }).click()
    await row('usr').getByRole('button').click()
    await row('bin').getByRole('button').click()
    await expect(row('.wh..wh..opq').textContent()).resolves.toContain('opaque directory')
  })

  it.skipIf(!suite.present)('pages a folder of 250 entries at 200', async () => {
    await openImage()
    await browseLayer(3)
    await row('flat').getByRole('button').click()
    await row('f000').waitFor()
    expect(await browser().getByTestId('file-row').count()).toBe(200)
    expect(await browser().getByTestId('files-page').textContent()).toBe('1–200 of 250 · page 1 of 2')
    await browser().getByRole('button', { name: 'Next →' }).click()
    await row('f249').waitFor()
    expect(await browser().getByTestId('file-row').count()).toBe(50)
    expect(await names()).toContain('f200')
  })

  it.skipIf(!suite.present)('says plainly that a layer is not a tar archive', async () => {
    await openImage()
    await browseLayer(4)
    await expect(browser().getByTestId('not-a-tar').textContent()).resolves.toContain('This layer is not a tar archive')
    expect(await page.getByTestId('error-panel').count()).toBe(0)
  })

  /** the API's answer once the image's analysis is built (202 until then) and `complete` holds */
  async function ready(p: string, complete: (body: any) => boolean = () => true) {
    let body: any
    await expect
      .poll(
        async () => {
          const res = await suite.server.fetch(p)
          body = await res.json()
          return res.status === 200 && complete(body)
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(true)
    return body
  }

  it.skipIf(!suite.present)('the whole image: each file from the layer that wrote it last; deleted files are gone', async () => {
    await openImage()
    // the default view: the layers merged (the page shows "Indexing…" until the server has built it)
    await row('app').waitFor({ timeout: 60_000 })
    expect(await names()).toEqual(['app', 'etc', 'flat', 'usr'])
    await row('app').getByRole('button').click()
    await expect(row('config.json').getByTestId('entry-layer').textContent()).resolves.toBe('layer 2')
    // downloaded from layer 2: the overwriting bytes
    const [download] = await Promise.all([page.waitForEvent('download'), row('config.json').getByTestId('download').click()])
    expect(fs.readFileSync((await download.path())!).toString()).toBe('{"v":2,"more":true}')
    await browser().getByTestId('file-crumbs').getByRole('button', { name: 'whole image: top folder' }).click()
    await row('etc').getByRole('button').click()
    await row('os-release').waitFor()
    expect(await names()).toEqual(['os-release']) // the whiteout of layer 2 removed etc/shadow
    expect(await row('os-release').getAttribute('data-layer')).toBe('0')
    // search over the merged tree: the opaque usr/bin of layer 2 hid layer 1's symlink
    await browser().getByRole('searchbox').fill('usr/bin/tool')
    await browser().getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => browser().getByTestId('files-summary').textContent()).toContain('0 matching paths')
  })

  it.skipIf(!suite.present)('the wasted-space panel shows the API figures in dive words', async () => {
    const api = await ready(`/api/repositories/${REPO}/tags/v1/efficiency`)
    expect(api.wastedBytes).toBeGreaterThan(0)
    await openImage()
    const panel = page.getByTestId('efficiency-panel')
    await panel.waitFor({ timeout: 60_000 })
    expect(await panel.getByTestId('efficiency-score').textContent()).toBe(percentOf(api.efficiency))
    expect(await panel.getByTestId('wasted-bytes').textContent()).toBe(formatBytes(api.wastedBytes))
    expect(await panel.getByTestId('user-wasted').textContent()).toBe(percentOf(api.userWastedPercent))
    const rows = panel.getByTestId('inefficiency')
    expect(await rows.count()).toBe(Math.min(20, api.inefficiencies.length))
    expect(await rows.first().textContent()).toContain(api.inefficiencies[0].path)
    expect(await page.getByText('Image efficiency score').count()).toBe(1)
    expect(await page.getByText('Potential wasted space').count()).toBe(1)
    // where the bytes are: the largest file of the merged tree first
    const usage = await ready(`/api/repositories/${REPO}/tags/v1/usage`)
    await expect(page.getByTestId('largest-files').locator('li').first().textContent()).resolves.toContain(usage.largestFiles[0].path)
    await page.screenshot({ path: path.join(screenshots, `file-browser-image-desktop-${provider}.png`), fullPage: true })
  })

  it.skipIf(!suite.present)('compare: from the repository page to the headline', async () => {
    // once the compressed sizes are measured too: the page then shows the same figures
    const api = await ready(`/api/repositories/${REPO}/compare?from=v1&to=v2&page=1&pageSize=100`, (b) => b.sizes.compressed !== null)
    ;({ page } = await suite.open({ viewport: DESKTOP, timeout: 30_000 }))
    await page.goto(`${suite.server.url}/repositories/${REPO}`)
    const form = page.getByRole('form', { name: 'Compare two tags' })
    await form.getByLabel('From').selectOption('v1')
    await form.getByLabel('To').selectOption('v2')
    await form.getByRole('button', { name: 'Compare' }).click()
    await page.waitForURL(/\/-\/compare\?from=v1&to=v2$/)
    const headline = page.getByTestId('compare-headline')
    await headline.waitFor({ timeout: 60_000 })
    expect(await headline.textContent()).toBe(compareHeadline(api))
    expect(await headline.textContent()).toMatch(/^v2 is \S+ kB bigger uncompressed, .*because of \/usr\/lib\/py \(\+50\.5 kB\)\.$/)
    await page.screenshot({ path: path.join(screenshots, `file-browser-compare-desktop-${provider}.png`), fullPage: true })
    expect(await page.getByTestId('layers-added').locator('li').count()).toBe(1)
    expect(await page.getByTestId('layers-shared').locator('li').count()).toBe(4)
    expect(await page.getByTestId('change-row').evaluateAll((els) => els.map((e) => [e.textContent?.includes('usr/lib/py/blob.bin'), e.getAttribute('data-change')]))).toEqual([
      [true, 'added'],
      [false, 'added'],
    ])
  })

  it.skipIf(!suite.present)('fits 390 px: an open folder, the panels and the compare page without horizontal scroll', async () => {
    const fits = async (name: string) => {
      await page.screenshot({ path: path.join(screenshots, `file-browser-${name}-phone-${provider}.png`), fullPage: true })
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth)
      expect(await overflowingElements(page)).toEqual([])
    }
    await openImage(PHONE)
    await page.getByTestId('efficiency-panel').waitFor({ timeout: 60_000 })
    await page.getByTestId('usage-panel').waitFor()
    await browseLayer(1)
    await row('usr').getByRole('button').click()
    await row('lib').getByRole('button').click()
    await row('z-big.so').waitFor()
    await fits('image')
    await page.goto(`${suite.server.url}/repositories/${REPO}/-/compare?from=v1&to=v2`)
    await page.getByTestId('compare-headline').waitFor({ timeout: 60_000 })
    await fits('compare')
  })
})
