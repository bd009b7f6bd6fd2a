// Rejected uploads in a real browser (Debian's Chromium via playwright-core) against the real Stowage
// process: the error with its code reaches the page, wherever in the body it is found and however big
// the file, both through the console's upload page and through a bare XMLHttpRequest (what the page's
// sendArchive does, independent of any checks the page makes before sending). Also: the server's
// start-up line and its per-request log lines.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect } from 'vitest'
import type { Page } from 'playwright-core'
import { browserTests } from '../helpers/browser'
import { writeTarFile, writeRawFile, ZIP_HEAD } from '../helpers/stream-archive'
import { requestLines } from '../helpers/log-lines'

const MB = 1024 * 1024
const NOT_JSON = Buffer.from('{"this is": not json')

type Case = { file: string; status: number; code: string; build(file: string): Promise<number> }

const cases: Case[] = [
  { file: 'small.zip', status: 415, code: 'NOT_A_TAR', build: (f) => writeRawFile(f, ZIP_HEAD, 10 * 1024) },
  {
    file: 'small-climbs-out.tar',
    status: 422,
    code: 'ENTRY_PATH_INVALID',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 3000 }, { name: '../evil', size: 100 }, { name: 'b/layer.tar', size: 3000 }]),
  },
  {
    file: 'small-bad-manifest.tar',
    status: 422,
    code: 'JSON_INVALID',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 8000 }, { name: 'manifest.json', data: NOT_JSON }]),
  },
  { file: 'big.zip', status: 415, code: 'NOT_A_TAR', build: (f) => writeRawFile(f, ZIP_HEAD, 200 * MB) },
  {
    file: 'big-climbs-out.tar',
    status: 422,
    code: 'ENTRY_PATH_INVALID',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 100 * MB }, { name: '../evil', size: 100 }, { name: 'b/layer.tar', size: 100 * MB }]),
  },
  {
    file: 'big-bad-manifest.tar',
    status: 422,
    code: 'JSON_INVALID',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 100 * MB }, { name: 'b/layer.tar', size: 100 * MB }, { name: 'manifest.json', data: NOT_JSON }]),
  },
]

let dir: string

const suite = browserTests({
  setup: async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-browser-rejections-'))
    for (const c of cases) await c.build(path.join(dir, c.file))
  },
  cleanup: () => dir && fs.rmSync(dir, { recursive: true, force: true }),
})

async function newPage(p: string): Promise<Page> {
  const { page } = await suite.open({ viewport: { width: 1280, height: 900 }, timeout: 60_000 })
  await page.goto(suite.server.url + p)
  return page
}

describe.skipIf(!suite.present)('rejected uploads in Chromium', () => {
  it('the start-up line names the address the server is bound to', () => {
    const port = new URL(suite.server.url).port
    expect(suite.server.output()).toContain(`Stowage listening on http://127.0.0.1:${port} (bound to 127.0.0.1:${port} only;`)
  })

  it('XMLHttpRequest receives each JSON error with its code (first bytes, middle, end; 10 KB and 200 MB)', async () => {
    const page = await newPage('/upload')
    // a file input of our own, so the XHR sends a real File exactly as the upload page's sendArchive does
    await page.evaluate(() => {
      const input = document.createElement('input')
      input.type = 'file'
      input.multiple = true
      input.id = 'raw-files'
      document.body.append(input)
    })
    await page.locator('#raw-files').setInputFiles(cases.map((c) => path.join(dir, c.file)))
    for (const [i, c] of cases.entries()) {
      const answer = await page.evaluate(
        (index) =>
          new Promise<{ status: number; text: string; error?: boolean }>((resolve) => {
            const file = (document.getElementById('raw-files') as HTMLInputElement).files![index]
            const xhr = new XMLHttpRequest()
            xhr.open('POST', `/api/uploads?filename=${encodeURIComponent(file.name)}`)
            xhr.setRequestHeader('Content-Type', 'application/octet-stream')
            xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText })
            xhr.onerror = () => resolve({ status: 0, text: '', error: true })
            xhr.send(file)
          }),
        i,
      )
      expect(answer.error, `${c.file}: XHR network error`).toBeUndefined()
      expect(answer.status, c.file).toBe(c.status)
      expect(JSON.parse(answer.text).error.code, c.file).toBe(c.code)
    }
    await page.context().close()
  })

  it('the upload page refuses each of these before sending, with the code the server gives', async () => {
    // The page reads archives before sending them (lib/archive/preview-*): all of these are refused at
    // once and never sent; the server's own answers are checked through XMLHttpRequest above.
    const page = await newPage('/upload')
    const posts: string[] = []
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url())
    })
    await page.getByTestId('file-input').setInputFiles(cases.map((c) => path.join(dir, c.file)))
    for (const c of cases) {
      const refused = page.locator(`[data-testid="selected-file"][data-filename="${c.file}"]`).getByTestId('preview-rejected')
      await refused.waitFor({ timeout: 60_000 })
      expect(await refused.textContent(), c.file).toContain(c.code)
    }
    await expect(page.getByRole('button', { name: 'Upload 0 files' }).isDisabled()).resolves.toBe(true)
    expect(posts).toEqual([])
    await page.context().close()
    expect((await (await suite.server.fetch(`/api/repositories`)).json()).total).toBe(0)
  })

  it('logs one JSON line per request and the code of every rejected upload', () => {
    const out = suite.server.output()
    for (const c of cases) expect(requestLines(out, { method: 'POST', route: '/api/uploads', status: c.status, code: c.code }).length, c.file).toBeGreaterThan(0)
    expect(requestLines(out, { method: 'GET', path: '/upload', route: 'console:page', status: 200 }).length).toBeGreaterThan(0)
  })
})
