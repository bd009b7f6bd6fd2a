// Who sees which repositories (issue 10): the console's list and search and /v2/_catalog show only the
// repositories of the caller's organizations (an access token: its organization) plus the public ones;
// administrators see all. Filtered by the database, so totals, pages and the catalog's Link are those of
// the visible set. Names next to an organization's ("acme-1/…", "acmex/…") are not in it.
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll } from 'vitest'
import { registryForTests } from '../helpers/http-stack'
import { providers } from '../helpers/stack'
import { seedToken, bearer } from '../helpers/accounts'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { importArchive } from '../../lib/archive/import-archive'
import { request } from './oci-support'
import { seedTenants, as, password } from './tenancy-support'

const ACME = ['acme', 'acme/a', 'acme/b', 'acme/c/deep'] // "acme" itself is acme's too
const BETA = ['beta/pub', 'beta/x']
const NEIGHBOURS = ['acme-1/q', 'acmex/z']

describe.each(providers)('repository visibility (%s)', (provider) => {
  const reg = registryForTests(provider, { access: 'enforced', timeout: 120_000 })
  let olgaBetaToken: Record<string, string>

  beforeAll(async () => {
    await seedTenants(reg.stack)
    const layer = await makeLayer(500)
    for (const name of [...ACME, ...BETA, ...NEIGHBOURS]) {
      const { archive } = await makeDockerArchive({ repoTags: [`${name}:1`], layers: [layer] })
      await importArchive(reg.stack, { body: Readable.from([archive]) })
    }
    await reg.stack.db.repository.update({ where: { name: 'beta/pub' }, data: { public: true } })
    olgaBetaToken = bearer(await seedToken(reg.stack.db, 'olga', { organization: 'beta', access: 'pull' }))
  }, 120_000)

  const consoleList = async (headers: Record<string, string>, query = 'pageSize=100') => {
    const res = await request(`${reg.url}/api/repositories?${query}`, { headers })
    expect(res.status).toBe(200)
    return res.json()
  }
  const names = async (headers: Record<string, string>, query?: string) => (await consoleList(headers, query)).repositories.map((r: { name: string }) => r.name)
  const catalog = async (headers: Record<string, string>, query = '') => {
    const res = await request(`${reg.url}/v2/_catalog${query}`, { headers })
    expect(res.status).toBe(200)
    return { repositories: (await res.json()).repositories as string[], link: res.headers.get('link') }
  }

  it('each caller lists its organizations and the public repositories, in the console and the catalog', async () => {
    const cases: [string, Record<string, string>, string[]][] = [
      ['anonymous', {}, ['beta/pub']],
      ['alice (push in acme)', as('alice'), [...ACME, 'beta/pub']],
      ['paul (pull in acme)', as('paul'), [...ACME, 'beta/pub']],
      ['bob (push in beta)', as('bob'), BETA],
      ['olga (owner of both)', as('olga'), [...ACME, ...BETA]],
      ["olga's token for beta", olgaBetaToken, BETA],
      ['admin', as('admin'), [...NEIGHBOURS, ...ACME, ...BETA].sort()],
      ['alice with her password', password('alice'), [...ACME, 'beta/pub']],
    ]
    for (const [who, headers, expected] of cases) {
      expect(await names(headers), who).toEqual([...expected].sort())
      expect((await consoleList(headers)).total, who).toBe(expected.length)
      expect((await catalog(headers)).repositories, who).toEqual([...expected].sort())
    }
  })

  it('search finds only visible repositories', async () => {
    expect(await names(as('bob'), 'q=acme')).toEqual([])
    expect(await names(as('alice'), 'q=acme')).toEqual(ACME)
    expect(await names({}, 'q=b')).toEqual(['beta/pub'])
    expect(await names(as('admin'), 'q=acme')).toEqual([...ACME, ...NEIGHBOURS].sort())
  })

  it('pages, totals and the catalog Link run over the visible set only', async () => {
    const first = await consoleList(as('alice'), 'pageSize=2&page=1')
    const second = await consoleList(as('alice'), 'pageSize=2&page=2')
    const third = await consoleList(as('alice'), 'pageSize=2&page=3')
    expect(first.total).toBe(5)
    expect([...first.repositories, ...second.repositories, ...third.repositories].map((r: { name: string }) => r.name)).toEqual([...ACME, 'beta/pub'])
    expect((await consoleList(as('alice'), 'pageSize=2&page=4')).total).toBe(5) // past the end: still the visible total

    const p1 = await catalog(as('alice'), '?n=3')
    expect(p1.repositories).toEqual(['acme', 'acme/a', 'acme/b'])
    expect(p1.link).toBe(`</v2/_catalog?n=3&last=${encodeURIComponent('acme/b')}>; rel="next"`)
    const p2 = await catalog(as('alice'), `?n=3&last=${encodeURIComponent('acme/b')}`)
    expect(p2).toEqual({ repositories: ['acme/c/deep', 'beta/pub'], link: null })
  })

  it('a repository made public appears for everyone; made private again, it is gone', async () => {
    await reg.stack.db.repository.update({ where: { name: 'acme/b' }, data: { public: true } })
    expect(await names({})).toEqual(['acme/b', 'beta/pub'])
    expect((await catalog(as('bob'))).repositories).toEqual(['acme/b', ...BETA])
    await reg.stack.db.repository.update({ where: { name: 'acme/b' }, data: { public: false } })
    expect(await names(as('bob'))).toEqual(BETA)
  })
})
