// Console pages decide through the policy (lib/console/page-auth.ts), against the real Stowage process
// (production console build) on SQLite and PostgreSQL, read as a browser's first request would be
// (plain fetch, no JavaScript): a private repository's pages send anonymous visitors to sign in and
// show a signed-in user without access the same 404 as a repository that does not exist; a member and
// the administrator see them; the upload page is for signed-in users; pages carry the CSP nonce.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers, createDatabase } from '../helpers/stack'
import { startFullServer, type FullServer } from '../helpers/full-server'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { repositoryHref, tagHref, digestHref } from '../../components/routes'

/**
 * Every page of the console (app/**\/page.tsx), who may see it and a path to ask for. The walk below fails
 * when a page file has no entry here, so a new page cannot be added without its access being tested.
 * anyone: every caller gets the page; signed-in: anonymous callers are sent to sign in; pull: a member of
 * acme (others: sign in / the 404 page); admin: administrators only (others: sign in / the 404 page).
 */
const PAGES: Record<string, { sample: string; audience: 'anyone' | 'signed-in' | 'pull' | 'admin' }> = {
  'page.tsx': { sample: '/', audience: 'anyone' },
  'repositories/page.tsx': { sample: '/repositories', audience: 'anyone' }, // redirects to /
  'repositories/[...path]/page.tsx': { sample: '/repositories/acme/app', audience: 'pull' },
  'sign-in/page.tsx': { sample: '/sign-in', audience: 'anyone' },
  'setup/page.tsx': { sample: '/setup', audience: 'anyone' },
  'upload/page.tsx': { sample: '/upload', audience: 'signed-in' },
  'organizations/page.tsx': { sample: '/organizations', audience: 'signed-in' },
  'organizations/[org]/page.tsx': { sample: '/organizations/acme', audience: 'pull' },
  'tokens/page.tsx': { sample: '/tokens', audience: 'signed-in' },
  'audit/page.tsx': { sample: '/audit', audience: 'signed-in' },
  'users/page.tsx': { sample: '/users', audience: 'admin' },
  'storage/page.tsx': { sample: '/storage', audience: 'admin' },
}

function pageFiles(dir = fileURLToPath(new URL('../../app', import.meta.url)), prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? pageFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : e.name === 'page.tsx' ? [`${prefix}page.tsx`] : []))
}

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe.each(providers)('console page access (%s)', (provider) => {
  let server: FullServer
  let drop = async () => {}
  let dir: string
  let digest: string
  const cookieOf: Record<string, string> = {}

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-page-access-'))
    const database = await createDatabase(provider, dir)
    drop = database.drop
    server = await startFullServer({ env: provider === 'postgresql' ? { DATABASE_URL: database.url } : {} })
    expect((await server.fetch('/api/organizations', json({ name: 'acme' }))).status).toBe(201)
    const { archive } = await makeDockerArchive({ repoTags: ['acme/app:1.0'], layers: [await makeLayer(1000)] })
    const up = await server.fetch('/api/uploads?filename=a.tar', { method: 'POST', body: new Uint8Array(archive) })
    expect(up.status, await up.clone().text()).toBe(201)
    digest = ((await up.json()) as any).images[0].manifestDigest
    // ada is a member of acme with pull, bob is not
    for (const name of ['ada', 'bob']) expect((await server.fetch('/api/users', json({ name, password: `${name}-password-1` }))).status).toBe(201)
    const member = await server.fetch('/api/organizations/acme/members/ada', { ...json({ role: 'pull' }), method: 'PUT' })
    expect(member.status, await member.clone().text()).toBeLessThan(300)
    for (const name of ['ada', 'bob']) {
      const res = await fetch(`${server.url}/api/session`, json({ user: name, password: `${name}-password-1` }))
      expect(res.status).toBe(200)
      cookieOf[name] = /^([^;]+)/.exec(res.headers.get('set-cookie')!)![1]
    }
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    await drop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  const page = (p: string, who?: string) => fetch(server.url + p, { redirect: 'manual', headers: who ? { cookie: cookieOf[who] } : {} })
  const pages = () => [repositoryHref('acme/app'), tagHref('acme/app', '1.0'), digestHref('acme/app', digest)]

  it('anonymous visitors are sent to sign in, and back afterwards', async () => {
    for (const p of [...pages(), '/upload']) {
      const res = await page(p)
      expect(res.status, p).toBeGreaterThanOrEqual(300)
      expect(res.status, p).toBeLessThan(400)
      expect(res.headers.get('location'), p).toBe(`/sign-in?next=${encodeURIComponent(p)}`)
    }
  })

  it('a signed-in user without access gets the same 404 as for a repository that does not exist', async () => {
    const missing = await page(repositoryHref('acme/nothing-here'), 'bob')
    expect(missing.status).toBe(404)
    const notFoundText = (await missing.text()).includes('Page not found')
    expect(notFoundText).toBe(true)
    for (const p of pages()) {
      const res = await page(p, 'bob')
      expect(res.status, p).toBe(404)
      const html = await res.text()
      expect(html, p).toContain('Page not found')
      // nothing of the repository's content (the address itself is echoed in the title, as for any 404)
      for (const shown of ['data-testid="tag-row"', 'data-testid="layer-row"', 'Point a tag here']) expect(html, p).not.toContain(shown)
    }
  })

  it('a member and the administrator see the pages; signed-in users the upload page', async () => {
    for (const who of ['ada', 'admin']) {
      for (const p of pages()) {
        const res = who === 'admin' ? await server.fetch(p, { redirect: 'manual' }) : await page(p, who)
        expect(res.status, `${who} ${p}`).toBe(200)
        expect(await res.text(), `${who} ${p}`).toContain(digest.slice(7, 19))
      }
    }
    expect((await page('/upload', 'bob')).status).toBe(200)
  })

  it('every page answer carries the CSP with its nonce on each script', async () => {
    const res = await page(tagHref('acme/app', '1.0'), 'ada')
    const nonce = /'nonce-([^']+)'/.exec(res.headers.get('content-security-policy') ?? '')?.[1]
    expect(nonce).toBeTruthy()
    const scripts = [...(await res.text()).matchAll(/<script\b[^>]*>/g)].map((m) => m[0])
    expect(scripts.length).toBeGreaterThan(0)
    for (const s of scripts) expect(s).toContain(`nonce="${nonce}"`)
  })

  it('every console page answers each kind of caller as its audience says', async () => {
    const files = pageFiles()
    expect(files.filter((f) => !PAGES[f]), 'pages without an entry in PAGES').toEqual([])
    const wrong: string[] = []
    for (const f of files) {
      const { sample, audience } = PAGES[f]
      for (const who of ['anonymous', 'bob', 'ada', 'admin'] as const) {
        const res = who === 'admin' ? await server.fetch(sample, { redirect: 'manual' }) : await page(sample, who === 'anonymous' ? undefined : who)
        await res.arrayBuffer()
        const admitted = audience === 'anyone' || (audience === 'signed-in' && who !== 'anonymous') || (audience === 'pull' && (who === 'ada' || who === 'admin')) || (audience === 'admin' && who === 'admin')
        const location = res.headers.get('location') ?? ''
        const got = res.status === 200 || (res.status >= 300 && res.status < 400 && !location.startsWith('/sign-in')) ? 'page' : location.startsWith('/sign-in') ? 'sign-in' : String(res.status)
        const want = admitted ? 'page' : who === 'anonymous' ? 'sign-in' : '404'
        if (got !== want) wrong.push(`${sample} (${f}) as ${who}: ${got}, want ${want}`)
      }
    }
    expect(wrong).toEqual([])
  }, 120_000)
})
