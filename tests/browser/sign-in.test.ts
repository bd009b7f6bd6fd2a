// Signing in to the console, in Chromium against the real Stowage
// process: wrong and right password, sign-out and sign-out everywhere, pages of a repository the user
// may not read (404, not "forbidden"); every page carries a CSP with a fresh nonce, enforced, and renders
// without CSP errors (browser.ts fails on console errors). Another origin: cross-origin.test.ts.
import { describe, it, expect } from 'vitest'
import type { Page } from 'playwright-core'
import { browserTests, newPage } from '../helpers/browser'
import { ADMIN_USER, ADMIN_PASSWORD } from '../helpers/full-server'
import { repositoryHref, tagHref, digestHref } from '../../components/routes'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'

const suite = browserTests({ timeout: 120_000 })
const DESKTOP = { width: 1280, height: 900 }
const USER = 'alice'
const USER_PASSWORD = 'alice-password-1'

const url = (p: string) => suite.server.url + p

async function signInWith(page: Page, user: string, password: string) {
  await page.getByLabel('User name').fill(user)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

async function uploadAs(tag: string) {
  const { archive } = await makeDockerArchive({ repoTags: [tag], layers: [await makeLayer(3000)] })
  const res = await suite.server.fetch(`/api/uploads?filename=x.tar`, { method: 'POST', body: new Uint8Array(archive) })
  expect(res.status, await res.clone().text()).toBe(201)
  return ((await res.json()) as any).images[0].manifestDigest as string
}

describe.skipIf(!suite.present)('signing in', () => {
  it('a wrong password is refused with a message; the right one leads on to the page asked for; sign-out ends the session', async () => {
    const { page } = await suite.open({ viewport: DESKTOP, anonymous: true })
    await page.goto(url('/upload'))
    await page.waitForURL(url('/sign-in?next=%2Fupload'))
    await signInWith(page, ADMIN_USER, 'not-the-password')
    await expect.poll(() => page.getByTestId('sign-in-error').textContent()).toBe('Wrong user name or password.')

    await signInWith(page, ADMIN_USER, ADMIN_PASSWORD)
    await page.waitForURL(url('/upload'))
    await page.getByTestId('file-input').waitFor({ state: 'attached' })
    await expect(page.getByTestId('user-menu').textContent()).resolves.toContain(ADMIN_USER)
    // administrators see the account pages in the header
    for (const name of ['Organizations', 'Tokens', 'Users', 'Audit', 'Storage']) await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).waitFor()
    const cookie = (await page.context().cookies()).find((c) => c.name === 'stowage_session')!
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' })

    await page.getByTestId('user-menu').click()
    await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(url('/sign-in'))
    await page.getByTestId('sign-in-form').waitFor()
    // the old cookie names no session any more
    const after = await fetch(url('/api/session'), { headers: { cookie: `stowage_session=${cookie.value}` } })
    expect(after.status).toBe(401)
    await page.goto(url('/upload'))
    await page.waitForURL(url('/sign-in?next=%2Fupload'))
  })

  it('"Sign out everywhere" ends the user’s other sessions too', async () => {
    expect((await suite.server.fetch('/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: USER, password: USER_PASSWORD }) })).status).toBe(201)
    const pages: Page[] = []
    for (let i = 0; i < 2; i++) {
      const { page } = await suite.open({ viewport: DESKTOP, anonymous: true })
      await page.goto(url('/sign-in'))
      await signInWith(page, USER, USER_PASSWORD)
      await page.waitForURL(url('/'))
      await page.getByTestId('user-menu').waitFor()
      pages.push(page)
    }
    // a user who is not an administrator: no Users/Audit/Storage links
    for (const name of ['Users', 'Audit', 'Storage']) await expect(pages[0].getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).count()).resolves.toBe(0)
    await pages[0].getByTestId('user-menu').click()
    await pages[0].getByRole('menuitem', { name: 'Sign out everywhere' }).click()
    await pages[0].waitForURL(url('/sign-in'))
    await pages[1].reload()
    await pages[1].getByRole('link', { name: 'Sign in' }).waitFor()
    await expect(pages[1].getByTestId('user-menu').count()).resolves.toBe(0)
  })

  it('a private repository: anonymous visitors are sent to sign in, a user without access gets the 404 page', async () => {
    const digest = await uploadAs('hidden/app:1.0')
    const paths = [repositoryHref('hidden/app'), tagHref('hidden/app', '1.0'), digestHref('hidden/app', digest)]
    const anonymous = await suite.open({ viewport: DESKTOP, anonymous: true })
    for (const p of paths) {
      await anonymous.page.goto(url(p))
      await anonymous.page.waitForURL(url(`/sign-in?next=${encodeURIComponent(p)}`))
    }
    const { page } = await suite.open({ viewport: DESKTOP, anonymous: true })
    await page.goto(url('/sign-in?next=' + encodeURIComponent(paths[1])))
    await signInWith(page, USER, USER_PASSWORD)
    // the same page as a repository that does not exist: nothing says it is there
    await page.waitForURL(url(paths[1]))
    for (const p of [...paths, '/repositories/hidden/nothing-here']) {
      const res = await page.goto(url(p))
      expect(res!.status(), p).toBe(404)
      await page.getByRole('heading', { name: 'Page not found' }).waitFor()
    }
    // the administrator sees it
    const admin = await suite.open({ viewport: DESKTOP })
    await admin.page.goto(url(paths[1]))
    await admin.page.getByTestId('layer-row').first().waitFor()
  })

  it('pages carry a CSP with a fresh nonce on every script and no unsafe-inline scripts; framing and sniffing headers on pages, /api and /v2', async () => {
    const { page } = await suite.open({ viewport: DESKTOP })
    const first = (await page.goto(url('/')))!
    const csp = first.headers()['content-security-policy']
    const nonce = /script-src [^;]*'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1]
    expect(nonce, csp).toBeTruthy()
    expect(/script-src [^;]*unsafe-inline/.test(csp)).toBe(false)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(first.headers()).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin' })
    // every script of the page carries this response's nonce (Next read it from the request header)
    const scripts = await page.evaluate(() => Array.from(document.scripts).map((s) => s.nonce))
    expect(scripts.length).toBeGreaterThan(0)
    expect(scripts.every((n) => n === nonce)).toBe(true)
    const second = (await page.goto(url('/upload')))!
    expect(second.headers()['content-security-policy']).not.toContain(nonce)
    await page.getByTestId('file-input').waitFor({ state: 'attached' })
    for (const p of ['/api/repositories', '/v2/']) {
      const res = await fetch(url(p))
      expect(res.headers.get('x-content-type-options'), p).toBe('nosniff')
      expect(res.headers.get('content-security-policy'), p).toContain("frame-ancestors 'none'")
    }
  })

  it('the CSP is enforced: a script injected without the nonce does not run', async () => {
    const probe = await newPage(suite.browser, { viewport: DESKTOP })
    try {
      await probe.page.goto(url('/sign-in'))
      await probe.page.getByTestId('sign-in-form').waitFor()
      const ran = await probe.page.evaluate(async () => {
        const s = document.createElement('script')
        s.textContent = 'window.__injected = true'
        document.body.appendChild(s)
        await new Promise((r) => setTimeout(r, 100))
        return (window as any).__injected === true
      })
      expect(ran).toBe(false)
      expect(probe.errors.join('\n')).toMatch(/Content Security Policy/)
    } finally {
      await probe.context.close()
    }
  })
})
