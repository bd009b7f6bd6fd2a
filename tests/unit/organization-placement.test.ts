// Placing an archive's names into an organization (POST /api/uploads?organization=): another
// registry's host is dropped, Docker Hub's implicit library/ too, a name already in the organization
// stays, ?repository= is placed as well, and a placed name must still be a valid repository name.
import { describe, it, expect } from 'vitest'
import { nameImages } from '../../lib/archive/import-archive'
import { parseImageReference } from '../../lib/registry/names'

const plan = (...refs: string[]) => ({ refs, tagHint: null, config: { digest: `sha256:${'a'.repeat(64)}` } })
const names = (refs: string[], req: { organization?: string; repository?: string; tag?: string } = {}) =>
  nameImages([plan(...refs)], req)[0].map((n) => `${n.repository}:${n.tag}`)

describe('names placed into an organization', () => {
  it("follows the issue's examples", () => {
    expect(names(['registry.example.com:5000/team/app:v1'], { organization: 'acme' })).toEqual(['acme/team/app:v1'])
    expect(names(['acme/x:1'], { organization: 'acme' })).toEqual(['acme/x:1'])
    expect(names(['acme:2'], { organization: 'acme' })).toEqual(['acme:2'])
  })

  it('drops Docker Hub and its library/, keeps a look-alike organization as a path segment', () => {
    expect(names(['nginx', 'docker.io/library/redis:7', 'localhost:5000/acme/y:3'], { organization: 'acme' })).toEqual(['acme/nginx:latest', 'acme/redis:7', 'acme/y:3'])
    expect(names(['acmex/z:1', 'acme-1/q:1'], { organization: 'acme' })).toEqual(['acme/acmex/z:1', 'acme/acme-1/q:1'])
  })

  it('without an organization the names stay as the archive has them (another host kept as the first segment)', () => {
    expect(names(['registry.example.com:5000/team/app:v1'])).toEqual(['registry.example.com/team/app:v1'])
    expect(parseImageReference('registry.example.com:5000/team/app:v1', { keepHost: false })).toEqual({ repository: 'team/app', tag: 'v1' })
  })

  it('places ?repository= (and a name taken from the archive when only ?tag= is given)', () => {
    expect(names(['whatever:1'], { organization: 'acme', repository: 'svc/api', tag: '2' })).toEqual(['acme/svc/api:2'])
    expect(names(['ghcr.io/team/tool:1'], { organization: 'acme', tag: '9' })).toEqual(['acme/team/tool:9'])
    expect(names(['whatever:1'], { organization: 'acme', repository: 'acme/svc' })).toEqual(['acme/svc:latest'])
  })

  it('refuses a placed name that is too long to be a repository name', () => {
    expect(() => names([`${'a'.repeat(252)}:1`], { organization: 'acme' })).toThrow(/placed into organization "acme"/)
  })
})
