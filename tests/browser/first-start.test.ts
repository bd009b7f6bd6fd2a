// First start without STOWAGE_ADMIN_PASSWORD, in Chromium against a fresh real Stowage process: the
// sign-in page says where the one-time setup link is; the link's page creates the first administrator
// (a wrong token and differing passwords refused) and signs them in; the link works once.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { Browser } from 'playwright-core'
import { launchChromium, newPage } from '../helpers/browser'
import { startFullServer, type FullServer } from '../helpers/full-server'
import { hasChromium } from '../helpers/optional'

const DESKTOP = { width: 1280, height: 900 }
const present = hasChromium()
let fresh: FullServer
let browser: Browser

beforeAll(async () => {
  if (!present) return
  ;[fresh, browser] = await Promise.all([startFullServer({ setup: true }), launchChromium()])
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await fresh?.stop()
})

describe.skipIf(!present)('first start without STOWAGE_ADMIN_PASSWORD', () => {
  it('the sign-in page points to the setup link in the log; the link creates the administrator and signs them in', async () => {
    const opened = await newPage(browser, { viewport: DESKTOP })
    try {
      const link = /(http:\/\/\S+\/setup\?token=\S+)/.exec(fresh.output())?.[1]
      expect(link, fresh.output()).toBeTruthy()
      const { page } = opened
      await page.goto(fresh.url + '/upload')
      await page.waitForURL(`${fresh.url}/sign-in?next=%2Fupload`)
      await expect(page.getByTestId('setup-needed').textContent()).resolves.toContain('No administrator yet: open the one-time setup link printed in the server')
      // a wrong token is refused
      await page.goto(fresh.url + '/setup?token=wrong')
      await page.getByLabel('Password', { exact: true }).fill('chief-password-1')
      await page.getByLabel('Confirm password').fill('chief-password-1')
      await page.getByRole('button', { name: 'Create administrator' }).click()
      await page.getByTestId('setup-error').waitFor()

      await page.goto(link!)
      await page.getByLabel('User name').fill('chief')
      await page.getByLabel('Password', { exact: true }).fill('chief-password-1')
      await page.getByLabel('Confirm password').fill('chief-password-2')
      await page.getByRole('button', { name: 'Create administrator' }).click()
      await expect.poll(() => page.getByTestId('setup-error').textContent()).toBe('The two passwords differ.')
      await page.getByLabel('Confirm password').fill('chief-password-1')
      await page.getByRole('button', { name: 'Create administrator' }).click()
      await page.waitForURL(fresh.url + '/')
      await expect(page.getByTestId('user-menu').textContent()).resolves.toContain('chief')
      // the link worked once
      await page.goto(link!)
      await page.getByTestId('setup-done').waitFor()
      expect(opened.errors).toEqual([])
    } finally {
      await opened.context.close()
    }
  })
})
