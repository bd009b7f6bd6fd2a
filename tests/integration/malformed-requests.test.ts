// The caller's mistakes in a URL (a malformed percent-escape, a page number that is not one) answer 400
// with a message that says what is wrong, on the console API and the registry API alike, never 500.
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { startRegistry, type Registry } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'

describe.each(providers)('malformed request URLs (%s)', (provider) => {
  let reg: Registry

  beforeAll(async () => {
    reg = await startRegistry(provider)
    const { archive } = await makeDockerArchive({ repoTags: ['team/app:1.0'], layers: [await makeLayer(1000)] })
    await importArchive(reg.stack, { body: Readable.from([archive]), filename: 'app.tar', repository: null, tag: null })
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  const get = async (path: string, method = 'GET') => {
    const res = await fetch(reg.url + path, { method })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }

  it.each([
    ['/api/repositories/%ZZ/tags', 'GET', 'repository name'],
    ['/api/repositories/team%2/tags', 'GET', 'repository name'],
    ['/api/repositories/team/app/tags/%E0%A4%A', 'GET', 'tag'],
    ['/api/repositories/team/app/tags/1%ZZ', 'DELETE', 'tag'],
    ['/api/repositories/team/app/tags/%ZZ/archive', 'GET', 'tag'],
    ['/api/repositories/%ZZ/tags/1.0/archive', 'GET', 'repository name'],
  ])('console API %s (%s): 400 PATH_INVALID', async (path, method, what) => {
    const { status, body } = await get(path, method)
    expect(status).toBe(400)
    expect(body.error.code).toBe('PATH_INVALID')
    expect(body.error.message).toContain(`the ${what} in the path has a malformed percent-escape`)
  })

  it.each([
    ['page=99999999999999999999', 'page'],
    ['page=abc', 'page'],
    ['page=0', 'page'],
    ['page=-1', 'page'],
    ['page=1.5', 'page'],
    ['page=1000001', 'page'],
    ['pageSize=abc', 'pageSize'],
    ['pageSize=0', 'pageSize'],
    ['pageSize=101', 'pageSize'],
  ])('console API /api/repositories?%s: 400 PAGE_INVALID naming %s', async (query, name) => {
    const { status, body } = await get(`/api/repositories?${query}`)
    expect(status).toBe(400)
    expect(body.error.code).toBe('PAGE_INVALID')
    expect(body.error.message).toMatch(new RegExp(`^${name} must be a whole number from 1 to \\d+`))
  })

  it('valid page numbers still work, including pages past the end and the largest allowed', async () => {
    expect((await get('/api/repositories?page=1&pageSize=100')).body.repositories.map((r: { name: string }) => r.name)).toEqual(['team/app'])
    expect((await get('/api/repositories?page=')).body.page).toBe(1)
    const far = await get('/api/repositories?page=1000000&pageSize=100')
    expect(far.status).toBe(200)
    expect(far.body.repositories).toEqual([])
    expect(far.body.total).toBe(1)
  })

  it.each([
    ['/v2/te%ZZam/tags/list', 'GET', 'NAME_INVALID', 'repository name'],
    ['/v2/team/app/manifests/%ZZ', 'GET', 'MANIFEST_INVALID', 'reference'],
    ['/v2/team/app/manifests/1%E0%A4', 'PUT', 'MANIFEST_INVALID', 'reference'],
    ['/v2/team/app/blobs/sha256%ZZ', 'GET', 'DIGEST_INVALID', 'digest'],
    ['/v2/team/app/blobs/sha256%ZZ', 'DELETE', 'DIGEST_INVALID', 'digest'],
    ['/v2/team/app/blobs/uploads/%ZZ', 'PATCH', 'BLOB_UPLOAD_INVALID', 'upload id'],
    ['/v2/team/app/referrers/%ZZ', 'GET', 'DIGEST_INVALID', 'digest'],
  ])('registry API %s (%s): 400 %s naming the malformed escape', async (path, method, code, what) => {
    const { status, body } = await get(path, method)
    expect(status).toBe(400)
    expect(body.errors[0].code).toBe(code)
    expect(body.errors[0].message).toContain(`the ${what} in the path has a malformed percent-escape`)
  })
})
