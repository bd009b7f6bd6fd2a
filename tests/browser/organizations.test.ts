// Issue 10's console scenario in Chromium against the real Stowage process (access enforced): the
// administrator signs in, creates an organization and a user bob, adds bob with the pull role, creates
// an access token (its secret shown once, and it works as a Bearer token), uploads an archive named
// registry.example.com:5000/team/app:v1 into the organization through the upload page's picker, which
// stores it as acme/team/app:v1 (the example); bob signs in elsewhere, sees the repository but no Delete
// button, and a DELETE sent from his page is refused with 403. Then the owner makes the repository
// public and the audit log shows what happened. A second scenario uses the owner's other forms: a robot
// account, a quota, a token revoked.
import fs from 'node:fs'
import path from 'node:path'
import { describe, it, expect } from 'vitest'
import type { Page } from 'playwright-core'
import { browserTests, tusMetadataAsQuery } from '../helpers/browser'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { ADMIN_USER as ADMIN } from '../helpers/full-server'
const BOB_PASSWORD = 'bob has a long password too'
const ORG = 'acme'
// the name inside the archive (another registry's); uploaded into ORG it becomes REPO
const ARCHIVE_REPO = 'registry.example.com:5000/team/app'
const REPO = `${ORG}/team/app`
const TAG = 'v1'
const DESKTOP = { width: 1280, height: 900 }

let archiveFile: string
const suite = browserTests({
  timeout: 120_000,
  setup: async () => {
    const dir = fs.mkdtempSync(path.join(suite.server.dataDir, 'files-'))
    archiveFile = path.join(dir, 'team-app.tar')
    fs.writeFileSync(archiveFile, (await makeDockerArchive({ repoTags: [`${ARCHIVE_REPO}:${TAG}`], layers: [await makeLayer(30_000)] })).archive)
  },
})

/** Signs in through the sign-in page, which returns to `next`. */
async function signIn(page: Page, user: string, password: string, next: string) {
  await page.goto(suite.server.url + next)
  await page.waitForURL('**/sign-in?next=**')
  await page.getByLabel('User name').fill(user)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(suite.server.url + next)
}

/** A request from the page itself (its cookie, its origin): what a script on the console could do. */
const fromPage = (page: Page, url: string, method: string, body?: unknown) =>
  page.evaluate(
    async ([u, m, b]) => {
      const res = await fetch(u as string, { method: m as string, ...(b === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) }) })
      return { status: res.status, body: await res.text() }
    },
    [url, method, body] as const,
  )

describe.skipIf(!suite.present)('organizations, members and tokens in the console', () => {
  it('admin creates an organization, a user, a membership and a token, uploads into the organization; the pull member sees but cannot delete', async () => {
    // signed in as the administrator (the full server's first user)
    const { page } = await suite.open({ viewport: DESKTOP })

    // the organization
    await page.goto(suite.server.url + '/organizations')
    await page.getByLabel('Name', { exact: true }).fill(ORG)
    await page.getByRole('button', { name: 'Create organization' }).click()
    await page.locator(`[data-testid="organization-row"][data-organization="${ORG}"]`).waitFor()

    // the user bob
    await page.goto(suite.server.url + '/users')
    await page.getByLabel('User name').fill('bob')
    await page.getByLabel('Password').fill(BOB_PASSWORD)
    await page.getByRole('button', { name: 'Create user' }).click()
    await page.locator('[data-testid="user-row"][data-user="bob"]').waitFor()

    // bob joins with the pull role
    await page.goto(`${suite.server.url}/organizations/${ORG}`)
    const addMember = page.getByRole('form', { name: 'Add member' })
    await addMember.getByLabel('User name').fill('bob')
    await addMember.getByLabel('Role').selectOption('pull')
    await addMember.getByRole('button', { name: 'Add member' }).click()
    const bobRow = page.locator('[data-testid="member-row"][data-user="bob"]')
    await bobRow.waitFor()
    await expect(bobRow.getByLabel('Role of bob').inputValue()).resolves.toBe('pull')
    const detail = JSON.parse((await fromPage(page, `/api/organizations/${ORG}`, 'GET')).body)
    expect(detail.members).toContainEqual({ user: 'bob', role: 'pull', kind: 'user' })

    // a token: the secret is shown once, with the docker login command
    await page.goto(suite.server.url + '/tokens')
    await page.getByLabel('Token name').fill('ci-push')
    await page.getByLabel('Organization').selectOption(ORG)
    await page.getByLabel('Access').selectOption('push')
    await page.getByRole('button', { name: 'Create token' }).click()
    const secretBox = page.getByTestId('token-secret')
    await secretBox.getByText("you won't see it again").waitFor()
    const secret = (await page.getByTestId('token-secret-value').textContent())!.trim()
    expect(secret).toMatch(/^stw_/)
    await expect(page.getByTestId('docker-login-command').textContent()).resolves.toBe(`docker login ${suite.server.host} -u ${ADMIN} --password-stdin`)
    await page.locator('[data-testid="token-row"][data-token="ci-push"]').waitFor()
    // it works as a Bearer token, limited to its organization
    const asToken = await fetch(`${suite.server.url}/api/organizations/${ORG}`, { headers: { Authorization: `Bearer ${secret}` } })
    expect(asToken.status).toBe(200)
    expect((await fetch(`${suite.server.url}/api/organizations/${ORG}`, { headers: { Authorization: `Bearer ${secret}x` } })).status).toBe(401)
    // once: after "I have copied it" and on every later visit, the secret is nowhere
    await secretBox.getByRole('button', { name: 'I have copied it' }).click()
    await page.reload()
    await page.locator('[data-testid="token-row"][data-token="ci-push"]').waitFor()
    expect(await page.content()).not.toContain(secret)
    expect(JSON.stringify(JSON.parse((await fromPage(page, '/api/tokens', 'GET')).body))).not.toContain(secret.slice(-20))

    // the upload page sends the chosen organization; the archive's name is placed under it
    await page.goto(suite.server.url + '/upload')
    // an administrator's picker is a free-text field; until the session is read it is the members' <select>
    await page.locator('input#upload-organization').fill(ORG)
    await expect(page.getByTestId('organization-picker').textContent()).resolves.toContain(`registry.example.com:5000/team/app:v1 → ${ORG}/team/app:v1`)
    // uploads are resumable (tus): the names travel in the creation request's Upload-Metadata
    const creation = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/uploads/tus')
    await page.getByTestId('file-input').setInputFiles(archiveFile)
    await page.getByRole('button', { name: 'Upload 1 file' }).click()
    expect(new URL(tusMetadataAsQuery((await creation).headers()['upload-metadata'] ?? '')).searchParams.get('organization')).toBe(ORG)
    await page.locator('[data-testid="upload-item"][data-phase="done"]').waitFor({ timeout: 30_000 })
    const imported = page.getByTestId('import-tags').getByRole('link')
    await imported.first().waitFor()
    await expect(imported.allTextContents()).resolves.toEqual([`${REPO}:${TAG}`])
    const listed = JSON.parse((await fromPage(page, '/api/repositories?q=team', 'GET')).body)
    expect(listed.repositories.map((r: { name: string }) => r.name)).toEqual([REPO]) // nothing stored under the archive's own name

    // bob, in his own browser context: sees the repository and its tag, no Delete, and the API refuses
    const bob = await suite.open({ viewport: DESKTOP, anonymous: true })
    await signIn(bob.page, 'bob', BOB_PASSWORD, `/repositories/${REPO}`)
    await bob.page.locator(`[data-testid="tag-row"][data-tag="${TAG}"]`).waitFor()
    await bob.page.waitForLoadState('networkidle')
    await expect.poll(() => bob.page.getByRole('button', { name: `Delete tag ${REPO}:${TAG}` }).count()).toBe(0)
    await expect(bob.page.getByRole('switch', { name: 'Public' }).count()).resolves.toBe(0)
    await bob.page.goto(`${suite.server.url}/repositories/${REPO}/-/tags/${TAG}`)
    await bob.page.getByRole('heading', { name: `${REPO}:${TAG}` }).waitFor()
    await bob.page.waitForLoadState('networkidle')
    await expect.poll(() => bob.page.getByRole('button', { name: `Delete tag ${REPO}:${TAG}` }).count()).toBe(0)
    const refused = await fromPage(bob.page, `/api/repositories/${REPO}/tags/${TAG}`, 'DELETE')
    expect(refused.status, refused.body).toBe(403)
    expect(JSON.parse(refused.body).error.code).toBe('DENIED')
    expect((await fromPage(bob.page, `/api/repositories/${REPO}/tags/${TAG}`, 'GET')).status).toBe(200)
    await bob.page.goto(suite.server.url + '/')
    await bob.page.locator(`[data-testid="repository-row"][data-repository="${REPO}"]`).waitFor()
    // bob's console hides what his role cannot use: no member controls, no limits form
    await bob.page.goto(`${suite.server.url}/organizations/${ORG}`)
    await bob.page.locator('[data-testid="member-row"][data-user="bob"]').waitFor()
    await expect(bob.page.getByRole('form', { name: 'Add member' }).count()).resolves.toBe(0)
    await expect(bob.page.getByRole('button', { name: 'Remove bob' }).count()).resolves.toBe(0)

    // the owner (here the administrator) makes it public: the badge shows, anonymous pulls work
    expect((await fetch(`${suite.server.url}/api/repositories/${REPO}/tags`)).status).toBe(401)
    await page.goto(`${suite.server.url}/repositories/${REPO}`)
    await page.getByRole('switch', { name: 'Public' }).click() // asks first: not checked until confirmed
    await page.getByRole('dialog', { name: `Make ${REPO} public?` }).getByRole('button', { name: 'Make public' }).click()
    await page.getByRole('status').getByText(`${REPO} is public`).waitFor()
    expect((await fetch(`${suite.server.url}/api/repositories/${REPO}/tags`)).status).toBe(200)
    await page.goto(suite.server.url + '/')
    await page.locator(`[data-testid="repository-row"][data-repository="${REPO}"]`).getByTestId('public-badge').waitFor()

    // the audit log shows the membership and the visibility change, and exports them
    await page.goto(`${suite.server.url}/audit?organization=${ORG}`)
    await page.locator('[data-testid="audit-row"][data-action="member.set"]').first().waitFor()
    await page.locator('[data-testid="audit-row"][data-action="repository.visibility"]').first().waitFor()
    const exported = await fromPage(page, (await page.getByRole('link', { name: 'Export JSON lines' }).getAttribute('href'))!, 'GET')
    expect(exported.status).toBe(200)
    const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l) => l.action)).toEqual(expect.arrayContaining(['member.set', 'repository.visibility', 'token.create', 'upload']))
    expect(lines.find((l) => l.action === 'upload')).toMatchObject({ organization: ORG, target: `${REPO}:${TAG}`, outcome: 'ok' })
    expect(exported.body).not.toContain(secret)
  })

  it("an owner's forms on the organization and token pages: a robot account, a quota saved, a token revoked", async () => {
    const { page } = await suite.open({ viewport: DESKTOP })
    await page.goto(suite.server.url + '/organizations')
    expect((await fromPage(page, '/api/organizations', 'POST', { name: 'globex' })).status).toBe(201)

    await page.goto(`${suite.server.url}/organizations/globex`)
    const robotForm = page.getByRole('form', { name: 'Create robot account' })
    await robotForm.getByLabel('Robot name (globex+…)').fill('ci')
    await robotForm.getByLabel('Role').selectOption('pull')
    await robotForm.getByRole('button', { name: 'Create robot' }).click()
    await page.locator('[data-testid="robot-row"][data-user="globex+ci"]').waitFor()
    expect(JSON.parse((await fromPage(page, '/api/organizations/globex', 'GET')).body).members).toContainEqual({ user: 'globex+ci', role: 'pull', kind: 'robot' })

    await page.getByLabel('Repositories quota').fill('5')
    await page.getByRole('button', { name: 'Save limits' }).click()
    await page.getByRole('status').getByText('Saved').waitFor()
    expect(JSON.parse((await fromPage(page, '/api/organizations/globex', 'GET')).body).settings.quotaRepositories).toBe(5)

    await page.goto(suite.server.url + '/tokens')
    await page.getByLabel('Token name').fill('short-lived')
    await page.getByRole('button', { name: 'Create token' }).click()
    await page.getByTestId('token-secret').getByRole('button', { name: 'I have copied it' }).click()
    const row = page.locator('[data-testid="token-row"][data-token="short-lived"]')
    await row.getByRole('button', { name: 'Revoke token short-lived' }).click()
    await page.getByRole('dialog', { name: 'Revoke token short-lived?' }).getByRole('button', { name: 'Revoke token' }).click()
    await row.getByText('revoked').waitFor()
    const tokens = JSON.parse((await fromPage(page, '/api/tokens', 'GET')).body).tokens
    expect(tokens.find((t: { name: string }) => t.name === 'short-lived').revokedAt).not.toBeNull()
  })
})
