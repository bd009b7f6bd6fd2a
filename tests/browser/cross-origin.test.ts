// A page on another origin with a signed-in browser, in Chromium against the real Stowage process (the
// issue's demonstration): it can neither replace a tag with the user's cookie (fetch no-cors, form POST:
// the server's Origin check) nor frame the console (frame-ancestors 'none').
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it, expect, afterAll } from 'vitest'
import { browserTests, newPage } from '../helpers/browser'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { requestLines } from '../helpers/log-lines'

const suite = browserTests({ timeout: 120_000 })
const DESKTOP = { width: 1280, height: 900 }
const url = (p: string) => suite.server.url + p
const json = async (res: Response) => ({ status: res.status, body: (await res.json().catch(() => null)) as any })

async function uploadAs(tag: string) {
  const { archive } = await makeDockerArchive({ repoTags: [tag], layers: [await makeLayer(3000)] })
  const res = await suite.server.fetch(`/api/uploads?filename=x.tar`, { method: 'POST', body: new Uint8Array(archive) })
  expect(res.status, await res.clone().text()).toBe(201)
  return ((await res.json()) as any).images[0].manifestDigest as string
}

/** A second HTTP server on another port: another origin (same host, so the SameSite=Strict cookie still goes along). */
async function otherOrigin(html: () => string) {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html()))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe.skipIf(!suite.present)('another origin with a signed-in browser', () => {
  const closers: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const c of closers) await c()
  })

  it('cannot replace a tag: a no-cors fetch and a form POST with the user’s cookie are refused', async () => {
    const kept = await uploadAs('victim/app:1.0')
    const { archive } = await makeDockerArchive({ repoTags: ['victim/app:1.0'], layers: [await makeLayer(2000)] })
    const target = url('/api/uploads?repository=victim/app&tag=1.0')
    const evil = await otherOrigin(
      () => `<!doctype html><html><body>
<form id="f" method="POST" action="${target}" enctype="text/plain"><input name="x" value="y"></form>
<script>
const bytes = Uint8Array.from(atob('${archive.toString('base64')}'), (c) => c.charCodeAt(0))
fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include', body: bytes })
  .then(() => { document.title = 'sent' }, () => { document.title = 'failed' })
</script></body></html>`,
    )
    closers.push(evil.close)
    const logBefore = suite.server.output().length
    // the victim is signed in (the administrator's cookie: may upload anything)
    const { page } = await suite.open({ viewport: DESKTOP })
    await page.goto(evil.url)
    await expect.poll(() => page.title()).toBe('sent')
    await Promise.all([page.waitForURL(target), page.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit())])
    expect(await page.textContent('body')).toContain('cross-origin request refused')
    // both requests reached the server and were refused
    await expect.poll(() => requestLines(suite.server.output().slice(logBefore), { method: 'POST', route: '/api/uploads', status: 403 }).length).toBe(2)
    const tag = await json(await suite.server.fetch('/api/repositories/victim/app/tags/1.0'))
    expect(tag.status).toBe(200)
    expect(tag.body.digest).toBe(kept)
  })

  it('cannot frame the console (frame-ancestors): the frame stays empty and the browser reports the refusal', async () => {
    const evil = await otherOrigin(() => `<!doctype html><html><body><iframe id="c" src="${url('/')}" width="800" height="600"></iframe></body></html>`)
    closers.push(evil.close)
    // not suite.open: this page is expected to log the refusal as a console error
    const framing = await newPage(suite.browser, { viewport: DESKTOP, session: { url: suite.server.url, cookie: suite.server.session! } })
    try {
      await framing.page.goto(evil.url)
      await expect.poll(() => framing.errors.join('\n')).toMatch(/frame-ancestors/)
      const child = framing.page.frames().find((f) => f !== framing.page.mainFrame())!
      expect(child).toBeTruthy()
      await expect(child.locator('header').count()).resolves.toBe(0)
      expect(await child.evaluate(() => document.body?.innerText ?? '').catch(() => '')).not.toContain('Repositories')
    } finally {
      await framing.context.close()
    }
  })
})
