// GET /api/audit over real HTTP, SQLite and PostgreSQL: organization owners read their own
// organization's events only, administrators any or all; filters, id-cursor pages, and the JSON-lines
// export of every matching event (1,200 here, several database batches).
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { seedUser, seedOrganization, basic } from '../helpers/accounts'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { recordAudit } from '../../lib/audit/audit-log'
import { EXPORT_BATCH, MAX_AUDIT_PAGE } from '../../lib/audit/audit-query'

type Event = { id: number; at: string; actor: string | null; organization: string | null; action: string; target: string | null; outcome: string; address: string | null; detail: unknown }

const BULK = 1200
// the bulk events are a month old, one a minute, so time filters can pick them apart from the fresh ones
const BASE = Math.floor((Date.now() - 30 * 24 * 3600_000) / 60_000) * 60_000
const minute = (i: number) => new Date(BASE + i * 60_000).toISOString()

describe.each(providers)('audit log API (%s)', (provider) => {
  let reg: Registry
  const get = (query: string, user: string | null) => fetch(`${reg.url}/api/audit${query}`, { headers: user ? basic(user) : {} })
  async function events(query: string, user: string): Promise<{ events: Event[]; next: number | null }> {
    const res = await get(query, user)
    expect(res.status, await res.clone().text()).toBe(200)
    return res.json()
  }

  beforeAll(async () => {
    reg = await startRegistry(provider, { access: 'enforced' })
    const db = reg.stack.db
    await seedUser(db, 'root', { admin: true })
    for (const name of ['olivia', 'oscar', 'pete', 'paula']) await seedUser(db, name)
    await seedOrganization(db, 'acme', { olivia: 'owner', pete: 'pull', paula: 'push' })
    await seedOrganization(db, 'beta', { oscar: 'owner' })
    await seedOrganization(db, 'bulk', { olivia: 'owner' })
    const s = reg.stack
    // in this order, so ids grow with time
    await recordAudit(s, null, { action: 'session.sign-in', outcome: 'failed', actor: 'mallory' })
    await recordAudit(s, null, { action: 'session.sign-in', actor: 'olivia' })
    await recordAudit(s, null, { action: 'upload', actor: 'olivia', organization: 'acme', target: 'acme/app:1', detail: { tags: 1 } })
    await recordAudit(s, null, { action: 'manifest.push', actor: 'paula', organization: 'acme', target: 'acme/app:2' })
    await recordAudit(s, null, { action: 'tag.delete', actor: 'paula', organization: 'acme', target: 'acme/app:1' })
    await recordAudit(s, null, { action: 'tag.set', actor: 'olivia', organization: 'acme', target: 'acme/app:3', outcome: 'denied' })
    await recordAudit(s, null, { action: 'member.set', actor: 'oscar', organization: 'beta', target: 'someone', detail: { role: 'pull' } })
    await recordAudit(s, null, { action: 'tag.delete', actor: 'oscar', organization: 'beta', target: 'beta/x:1' })
    // the export's volume, written in one statement (recordAudit one by one would take most of the test)
    await db.auditEvent.createMany({
      data: Array.from({ length: BULK }, (_, i) => ({
        at: new Date(minute(i)),
        action: i % 3 ? 'manifest.push' : 'tag.delete',
        outcome: 'ok',
        actor: `user${i % 7}`,
        organization: 'bulk',
        target: `bulk/app:${i}`,
        address: '192.0.2.7',
        detail: JSON.stringify({ n: i }),
      })),
    })
  })
  afterAll(async () => {
    await reg?.close()
  })

  describe('who may read what', () => {
    it("an owner reads their organization's events, newest first, with every field", async () => {
      const { events: list, next } = await events('?organization=acme', 'olivia')
      expect(next).toBeNull()
      expect(list.map((e) => e.action)).toEqual(['tag.set', 'tag.delete', 'manifest.push', 'upload'])
      expect(new Set(list.map((e) => e.organization))).toEqual(new Set(['acme']))
      expect(list[3]).toEqual({ id: expect.any(Number), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), actor: 'olivia', organization: 'acme', action: 'upload', target: 'acme/app:1', outcome: 'ok', address: null, detail: { tags: 1 } })
      expect(list.map((e) => e.id)).toEqual([...list.map((e) => e.id)].sort((a, b) => b - a))
    })

    it("another organization's owner, a pull member and a push member are refused (403); anonymous 401", async () => {
      for (const user of ['oscar', 'pete', 'paula']) {
        const res = await get('?organization=acme', user)
        expect(res.status, user).toBe(403)
        expect((await res.json()).error.code).toBe('DENIED')
      }
      expect((await get('?organization=acme', null)).status).toBe(401)
      // an export is the same read: the same answer
      expect((await get('?organization=acme&format=jsonl', 'oscar')).status).toBe(403)
    })

    it('only administrators read every event (sign-ins have no organization)', async () => {
      expect((await get('', 'olivia')).status).toBe(403)
      const all = await events(`?since=${minute(BULK)}`, 'root') // the fresh ones
      expect(all.events.map((e) => e.action)).toEqual([
        'tag.delete',
        'member.set',
        'tag.set',
        'tag.delete',
        'manifest.push',
        'upload',
        'session.sign-in',
        'session.sign-in',
      ])
      expect((await events('?organization=beta', 'root')).events.map((e) => e.target)).toEqual(['beta/x:1', 'someone'])
    })
  })

  describe('filters', () => {
    it('by action (exact or family), actor and outcome', async () => {
      const acme = (q: string) => events(`?organization=acme&${q}`, 'olivia').then((r) => r.events.map((e) => e.target))
      expect(await acme('action=tag.delete')).toEqual(['acme/app:1'])
      expect(await acme('action=tag.*')).toEqual(['acme/app:3', 'acme/app:1'])
      expect(await acme('actor=paula')).toEqual(['acme/app:1', 'acme/app:2'])
      expect(await acme('outcome=denied')).toEqual(['acme/app:3'])
      expect(await acme('actor=paula&action=manifest.push')).toEqual(['acme/app:2'])
      const failed = await events('?action=session.sign-in&outcome=failed', 'root')
      expect(failed.events.map((e) => e.actor)).toEqual(['mallory'])
    })

    it('by time: since (inclusive) and until (exclusive)', async () => {
      const r = await events(`?organization=bulk&since=${minute(10)}&until=${minute(15)}`, 'olivia')
      expect(r.events.map((e) => e.target)).toEqual(['bulk/app:14', 'bulk/app:13', 'bulk/app:12', 'bulk/app:11', 'bulk/app:10'])
      expect((await events(`?organization=bulk&since=${minute(BULK)}`, 'olivia')).events).toEqual([])
      expect((await events(`?organization=bulk&until=${minute(0).slice(0, 10)}`, 'olivia')).events).toEqual([]) // a date alone is its midnight
    })

    it('refuses malformed parameters with 400 naming them', async () => {
      for (const [q, name] of [
        ['?organization=acme&since=yesterday', 'since'],
        ['?organization=acme&outcome=maybe', 'outcome'],
        [`?organization=acme&limit=${MAX_AUDIT_PAGE + 1}`, 'limit'],
        ['?organization=acme&limit=0', 'limit'],
        ['?organization=acme&before=abc', 'before'],
        ['?organization=Acme', 'organization'],
        ['?organization=acme&format=csv', 'format'],
      ]) {
        const res = await get(q, 'olivia')
        expect(res.status, q).toBe(400)
        const body = await res.json()
        expect(body.error.code).toBe('PARAMETER_INVALID')
        expect(body.error.message).toMatch(new RegExp(`^${name} must be`))
      }
    })
  })

  it('pages with the before cursor: every event once, in order, until next is null', async () => {
    const seen: Event[] = []
    let cursor: number | null = null
    let pages = 0
    do {
      const page: { events: Event[]; next: number | null } = await events(`?organization=bulk&action=tag.delete&limit=150${cursor ? `&before=${cursor}` : ''}`, 'olivia')
      expect(page.events.length).toBeLessThanOrEqual(150)
      seen.push(...page.events)
      cursor = page.next
      pages++
    } while (cursor !== null)
    expect(pages).toBe(3) // 400 tag.delete events
    expect(seen).toHaveLength(BULK / 3)
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length)
    expect(seen.map((e) => e.id)).toEqual([...seen.map((e) => e.id)].sort((a, b) => b - a))
    expect(seen[0].target).toBe(`bulk/app:${BULK - 3}`)
  })

  it('exports every matching event as JSON lines, in several batches', async () => {
    expect(BULK).toBeGreaterThan(2 * EXPORT_BATCH)
    const res = await get('?organization=bulk&format=jsonl', 'olivia')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="stowage-audit-bulk.jsonl"')
    const text = await res.text()
    expect(text.endsWith('\n')).toBe(true)
    const lines = text.slice(0, -1).split('\n')
    expect(lines).toHaveLength(BULK)
    const parsed: Event[] = lines.map((l) => JSON.parse(l))
    expect(new Set(parsed.map((e) => e.target))).toEqual(new Set(Array.from({ length: BULK }, (_, i) => `bulk/app:${i}`)))
    expect(parsed.map((e) => e.id)).toEqual([...parsed.map((e) => e.id)].sort((a, b) => b - a))
    expect(parsed[0]).toMatchObject({ organization: 'bulk', address: '192.0.2.7', detail: { n: BULK - 1 }, at: minute(BULK - 1) })

    // filters apply to the export too; an administrator's export of everything says so in its name
    const filtered = await (await get('?organization=bulk&format=jsonl&actor=user3', 'olivia')).text()
    expect(filtered.trim().split('\n').map((l) => JSON.parse(l).actor)).toEqual(Array(Math.ceil((BULK - 3) / 7)).fill('user3'))
    const all = await get('?format=jsonl', 'root')
    expect(all.headers.get('content-disposition')).toBe('attachment; filename="stowage-audit-all.jsonl"')
    expect((await all.text()).trim().split('\n')).toHaveLength(BULK + 8)
  })
})
