// The frame of a browser test file: Debian's Chromium (via playwright-core) against the real Stowage
// process (full-server.ts). When Chromium is missing, `present` is false, the one skip line is printed
// (optional.ts) and the hooks do nothing: the file wraps its tests in describe.skipIf(!suite.present).
// Pages opened with `open` collect uncaught errors and console errors; after each test they are closed
// and those errors must be none. The server enforces access: pages opened with `open` carry the
// administrator's session cookie (full-server.ts signs in once), unless `anonymous: true`.
import { beforeAll, afterAll, afterEach, expect } from 'vitest'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { startFullServer, type FullServer } from './full-server'
import { hasChromium, chromiumPath } from './optional'

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export const launchChromium = () => chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS })

export type OpenPage = { context: BrowserContext; page: Page; errors: string[] }

export type PageOptions = {
  viewport: { width: number; height: number }
  timeout?: number
  acceptDownloads?: boolean
  /** signed in: this session cookie, for the server at `url` */
  session?: { url: string; cookie: { name: string; value: string } } | null
}

/** A new context and page; its uncaught errors and console errors go to `errors`. */
export async function newPage(browser: Browser, opts: PageOptions): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: opts.viewport, ...(opts.acceptDownloads ? { acceptDownloads: true } : {}) })
  if (opts.session) await context.addCookies([{ ...opts.session.cookie, url: opts.session.url, httpOnly: true, sameSite: 'Strict' }])
  const page = await context.newPage()
  page.setDefaultTimeout(opts.timeout ?? 15_000)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    // 4xx answers of the API are expected in some tests; anything else logged as an error is a bug.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text())
  })
  return { context, page, errors }
}

export type BrowserTests = {
  /** Chromium is there (else the skip line was printed and nothing starts). */
  present: boolean
  readonly server: FullServer
  readonly browser: Browser
  /** A new page (newPage) that is closed after the test, its errors then asserted to be none; signed in as the administrator unless `anonymous`. */
  open(opts: Omit<PageOptions, 'session'> & { anonymous?: boolean }): Promise<OpenPage>
}

/**
 * Registers the file's hooks: before all tests the full server and Chromium start (together), then
 * `setup` runs (`env` makes the server's extra environment first: a database, settings); after all, `cleanup` runs and both stop. Call once at the top of a browser test file (or of a describe block: the hooks are then that block's).
 */
export function browserTests(opts: { setup?: () => Promise<unknown>; cleanup?: () => unknown; timeout?: number; env?: () => Promise<Record<string, string>> } = {}): BrowserTests {
  const present = hasChromium()
  let server: FullServer | undefined
  let browser: Browser | undefined
  let opened: OpenPage[] = []

  beforeAll(async () => {
    if (!present) return
    ;[server, browser] = await Promise.all([opts.env ? opts.env().then((env) => startFullServer({ env })) : startFullServer(), launchChromium()])
    await opts.setup?.()
  }, opts.timeout)

  afterAll(async () => {
    await opts.cleanup?.()
    await browser?.close()
    await server?.stop()
  })

  afterEach(async () => {
    const pages = opened
    opened = []
    for (const p of pages) await p.context.close()
    expect(
      pages.flatMap((p) => p.errors),
      'errors in the browser console',
    ).toEqual([])
  })

  return {
    present,
    get server() {
      if (!server) throw new Error('the server starts in beforeAll (and only when Chromium is present)')
      return server
    },
    get browser() {
      if (!browser) throw new Error('Chromium starts in beforeAll (and only when it is present)')
      return browser
    },
    async open({ anonymous, ...o }) {
      const cookie = anonymous ? null : this.server.session
      const p = await newPage(this.browser, { ...o, session: cookie ? { url: this.server.url, cookie } : null })
      opened.push(p)
      return p
    },
  }
}

/** A tus creation request's Upload-Metadata (`key base64,…`) as a URL with those query parameters, as POST /api/uploads takes them. */
export function tusMetadataAsQuery(header: string): string {
  const url = new URL('http://upload/')
  for (const pair of header.split(',').filter(Boolean)) {
    const [key, value = ''] = pair.trim().split(' ')
    url.searchParams.set(key, Buffer.from(value, 'base64').toString())
  }
  return url.toString()
}
