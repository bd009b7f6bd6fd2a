// "Download selected" in the real console (Chromium via playwright-core, the real Stowage process, on
// SQLite and PostgreSQL): tags ticked on two repository pages (and a platform of a multi-platform tag)
// come down as ONE docker-load-able tar, or gzip; a refusal is shown on the page and nothing is saved,
// also when it comes only with the download itself (the tag deleted between the check and the post).
import fs from 'node:fs'
import zlib from 'node:zlib'
import { describe, it, expect } from 'vitest'
import type { Page } from 'playwright-core'
import { browserTests } from '../helpers/browser'
import { providers } from '../helpers/stack'
import { fixtures } from '../helpers/fixtures'
import { tarFiles } from '../helpers/read-tar'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { serverDatabase } from '../helpers/browser-database'

const BUSYBOX = fixtures.facts.busybox
const WEB = fixtures.facts.web

describe.each(providers)('download several tags as one archive (%s)', (provider) => {
  let page: Page
  let multi: Awaited<ReturnType<typeof makeMultiPlatformArchive>>

  const database = serverDatabase(provider, 'stowage-archives-page-')
  const suite = browserTests({
    timeout: 180_000,
    env: database.env,
    setup: async () => {
      for (const f of [fixtures.files.busybox, fixtures.files.web]) {
        const res = await suite.server.fetch('/api/uploads', { method: 'POST', body: new Uint8Array(fs.readFileSync(fixtures.path(f))) })
        expect(res.status, await res.clone().text()).toBe(201)
      }
      multi = await makeMultiPlatformArchive({
        reference: 'multi/app:1',
        platforms: [
          { architecture: 'amd64', layers: [{ size: 5_000, gzip: false }] },
          { architecture: 'arm64', layers: [{ size: 6_000, gzip: false }] },
        ],
      })
      const res = await suite.server.fetch('/api/uploads?filename=multi.tar', { method: 'POST', body: new Uint8Array(multi.archive) })
      expect(res.status, await res.clone().text()).toBe(201)
    },
  })

  async function openDesktop() {
    ;({ page } = await suite.open({ viewport: { width: 1366, height: 900 }, timeout: 20_000, acceptDownloads: true }))
  }

  const tick = async (repository: string, tag: string) => {
    await page.goto(`${suite.server.url}/repositories/${repository}`)
    await page.locator(`[data-testid="tag-row"][data-tag="${tag}"]`).getByTestId('select-tag').check()
  }

  const save = async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-selected').click()])
    return { name: download.suggestedFilename(), bytes: fs.readFileSync((await download.path())!) }
  }

  describe.skipIf(!suite.present)('console', () => {
    it('gathers tags of two repositories and a platform, and saves them as one tar, then gzip', async () => {
      await openDesktop()
      await tick('example.test/web', '2.0')
      await tick('example.test/web', 'latest')
      await tick('multi/app', '1')
      await page.getByLabel('Platform of multi/app:1').selectOption('linux/arm64')
      await tick('example.test/busybox', '1.0') // another page: the selection came along
      await expect(page.getByTestId('selected-tag').count()).resolves.toBe(4)
      await expect(page.getByTestId('download-selected').textContent()).resolves.toBe('Download selected (4)')

      const plain = await save()
      expect(plain.name).toBe('images-3.tar')
      expect(plain.bytes.subarray(257, 262).toString()).toBe('ustar')
      await page.getByTestId('download-started').waitFor()
      const files = await tarFiles(plain.bytes)
      const manifest = JSON.parse(files.get('manifest.json')!.toString())
      expect(manifest.map((m: any) => m.RepoTags)).toEqual([['example.test/web:2.0', 'example.test/web:latest'], ['multi/app:1'], ['example.test/busybox:1.0']])
      expect(manifest[0].Config).toBe(`blobs/sha256/${WEB.configDigest.slice(7)}`)
      expect(manifest[1].Config).toBe(`blobs/sha256/${multi.platforms[1].configDigest.slice(7)}`)
      expect(manifest[2].Config).toBe(`blobs/sha256/${BUSYBOX.configDigest.slice(7)}`)

      await page.getByTestId('selection-gzip').check()
      const gz = await save()
      expect(gz.name).toBe('images-3.tar.gz')
      expect(zlib.gunzipSync(gz.bytes).equals(plain.bytes)).toBe(true)
      await expect(page.getByTestId('selection-error').count()).resolves.toBe(0)
    })

    it('shows a refusal instead of saving it: the tag gone before the click, or between the check and the download', async () => {
      await openDesktop()
      const downloads: string[] = []
      page.on('download', (d) => downloads.push(d.suggestedFilename()))
      for (const tag of ['gone1', 'gone2']) {
        const res = await suite.server.fetch(`/api/repositories/example.test/busybox/tags/${tag}`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ digest: (await (await suite.server.fetch('/api/repositories/example.test/busybox/tags/1.0')).json()).digest }),
        })
        expect(res.status, await res.clone().text()).toBeLessThan(300)
      }
      await tick('example.test/busybox', 'gone1')
      expect((await suite.server.fetch('/api/repositories/example.test/busybox/tags/gone1', { method: 'DELETE' })).status).toBe(204)
      await page.getByTestId('download-selected').click()
      await page.getByTestId('selection-error').filter({ hasText: 'example.test/busybox:gone1 does not exist (TAG_NOT_FOUND)' }).waitFor()

      // the check passes; the tag is deleted before the download itself is asked for
      await page.getByRole('button', { name: 'Remove example.test/busybox:gone1' }).click()
      await tick('example.test/busybox', 'gone2')
      let checks = 0
      await page.route('**/api/archives**', async (route) => {
        if (route.request().url().includes('dryRun')) checks++
        else await suite.server.fetch('/api/repositories/example.test/busybox/tags/gone2', { method: 'DELETE' })
        await route.continue()
      })
      await page.getByTestId('download-selected').click()
      await page.getByTestId('selection-error').filter({ hasText: 'example.test/busybox:gone2 does not exist (TAG_NOT_FOUND)' }).waitFor()
      expect(checks).toBe(1) // the refusal was read from the frame, not asked for again
      expect(downloads).toEqual([])
    })
  })
})
