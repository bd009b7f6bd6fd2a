// The catalog at scale, checked for correctness on SQLite and PostgreSQL with a few thousand generated
// rows (bench/catalog-data.ts): the console's repository list (name / last update / size order, search,
// totals, pages), a repository with 2,000 tags paged through the console API (this answered 500 on
// SQLite when all tags were read at once), and /v2/_catalog and tags/list walked page by page through
// their Link headers in byte order. Speed is measured by bench/catalog.ts, not here.
import { describe, it, expect, beforeAll } from 'vitest'
import { providers } from '../helpers/stack'
import { registryForTests } from '../helpers/http-stack'
import { generateCatalog, type GeneratedCatalog } from '../../bench/catalog-data'
import { listRepositories } from '../../lib/registry/queries'
import { EVERYTHING } from '../../lib/auth/visibility'
import { byCodePoint } from '../../lib/oci/pagination'

const REPOSITORIES = 1200
const BIG_TAGS = 2000

for (const provider of providers) {
  describe(`catalog paging (${provider})`, () => {
    const reg = registryForTests(provider, { timeout: 120_000 })
    let cat: GeneratedCatalog
    beforeAll(async () => {
      cat = await generateCatalog(reg.stack, { repositories: REPOSITORIES, tagsPerRepository: 3, bigRepositoryTags: BIG_TAGS, untaggedRepositories: 5, emptyRepositories: 5, layerPool: 40 })
    }, 120_000)
    const get = async (path: string) => {
      const res = await fetch(reg.url + path)
      return { status: res.status, link: res.headers.get('link'), body: (await res.json()) as any }
    }
    /** Follows the Link headers from `path` to the end; answers every page's entries. */
    const walk = async (path: string, key: 'repositories' | 'tags') => {
      const pages: string[][] = []
      let next: string | null = path
      while (next) {
        const { status, link, body } = await get(next)
        expect(status).toBe(200)
        pages.push(body[key])
        next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : null
      }
      return pages
    }

    it('pages /v2/_catalog in byte order with n, last and Link, and without n at most 1,000 per page', async () => {
      const expected = [...cat.listed].sort(byCodePoint)
      const pages = await walk('/v2/_catalog?n=500', 'repositories')
      expect(pages.map((p) => p.length)).toEqual([500, 500, 206]) // 1,200 + big + 5 untagged; the empty ones are not listed
      expect(pages.flat()).toEqual(expected)
      const first = await get('/v2/_catalog')
      expect(first.body.repositories).toEqual(expected.slice(0, 1000))
      expect(first.link).toBe(`</v2/_catalog?n=1000&last=${encodeURIComponent(expected[999])}>; rel="next"`)
      // last need not exist: the names after it
      const after = await get(`/v2/_catalog?n=3&last=${encodeURIComponent('org-5/app')}`)
      expect(after.body.repositories).toEqual(expected.filter((n) => n > 'org-5/app').slice(0, 3))
      expect((await get('/v2/_catalog?n=0')).body.repositories).toEqual([])
    })

    it('pages tags/list of a repository with 2,000 tags in byte order', async () => {
      const expected = [...cat.bigTags].sort(byCodePoint)
      const all = await get('/v2/big/many-tags/tags/list')
      expect(all.body.tags).toEqual(expected)
      expect(all.link).toBeNull()
      const pages = await walk('/v2/big/many-tags/tags/list?n=700', 'tags')
      expect(pages.map((p) => p.length)).toEqual([700, 700, 600])
      expect(pages.flat()).toEqual(expected)
    })

    it('pages the console tag list of a repository with 2,000 tags, newest first, with the total', async () => {
      const seen: string[] = []
      for (let page = 1; page <= BIG_TAGS / 100; page++) {
        const { status, body } = await get(`/api/repositories/big/many-tags/tags?page=${page}&pageSize=100`)
        expect(status).toBe(200)
        expect(body).toMatchObject({ repository: 'big/many-tags', page, pageSize: 100, total: BIG_TAGS })
        expect(body.tags).toHaveLength(100)
        expect(body.tags[0]).toMatchObject({ kind: 'image', layerCount: 2, platform: 'linux/amd64', sizes: { uncompressed: expect.any(Number) } })
        seen.push(...body.tags.map((t: { name: string; updatedAt: string }) => `${t.updatedAt} ${t.name}`))
      }
      expect(new Set(seen).size).toBe(BIG_TAGS) // no tag twice, none left out
      expect(seen).toEqual([...seen].sort().reverse()) // newest first (every tag has its own time)
      const past = await get('/api/repositories/big/many-tags/tags?page=21&pageSize=100')
      expect(past.body).toMatchObject({ total: BIG_TAGS, tags: [] })
      expect((await get('/api/repositories/big/many-tags/tags')).body.tags).toHaveLength(50) // the default page
      expect((await get('/api/repositories/big/many-tags/tags?pageSize=101')).status).toBe(400)
    })

    it('lists repositories by name, by last update and by size, with search and totals', async () => {
      const stack = reg.stack
      const byName = [...cat.listed].sort(byCodePoint)
      const names: string[] = []
      for (let page = 1; page <= 3; page++) names.push(...(await listRepositories(stack, EVERYTHING, '', page, 100, 'name')).repositories.map((r) => r.name))
      expect(names).toEqual(byName.slice(0, 300))

      const updated = await listRepositories(stack, EVERYTHING, '', 1, 20, 'updated')
      expect(updated.total).toBe(cat.listed.length)
      const newest = [...cat.updatedOf].sort((a, b) => b[1].getTime() - a[1].getTime()).slice(0, 20)
      expect(updated.repositories.map((r) => [r.name, r.updatedAt?.toISOString()])).toEqual(newest.map(([n, d]) => [n, d.toISOString()]))
      for (const r of updated.repositories) {
        expect(r.tagCount).toBe(cat.tagsOf.get(r.name)!.length)
        expect(r.size).toBe(cat.sizeOf.get(r.name))
        expect(r.sizeComplete).toBe(true)
      }

      const bySize = await listRepositories(stack, EVERYTHING, '', 1, 10, 'size')
      const largest = [...cat.sizeOf].sort((a, b) => b[1] - a[1] || byCodePoint(a[0], b[0])).slice(0, 10)
      expect(bySize.repositories.map((r) => [r.name, r.size])).toEqual(largest)

      // search: a fragment anywhere in the name, wildcards literal, paged with its own total
      const matching = byName.filter((n) => n.includes('app_1'))
      const found = await listRepositories(stack, EVERYTHING, 'APP_1', 2, 10, 'name')
      expect(found.total).toBe(matching.length)
      expect(found.repositories.map((r) => r.name)).toEqual(matching.slice(10, 20))
      const untagged = await listRepositories(stack, EVERYTHING, 'untagged/', 1, 20, 'name')
      expect(untagged.repositories.map((r) => [r.name, r.tagCount, r.size])).toEqual([0, 1, 2, 3, 4].map((i) => [`untagged/only-${i}`, 0, 0]))
      expect((await listRepositories(stack, EVERYTHING, 'empty/', 1, 20)).total).toBe(0)
      // through the API as the console asks for it
      const api = await get('/api/repositories?q=org-7%2F&page=2&pageSize=5&sort=updated')
      expect(api.status).toBe(200)
      expect(api.body.total).toBe(byName.filter((n) => n.includes('org-7/')).length)
      expect(api.body.repositories).toHaveLength(5)
    })
  })
}
