import { describe, it, expect } from 'vitest'
import { parseImageReference, repositoryNameProblem, tagNameProblem, NameError } from '../../lib/registry/names'

describe('parseImageReference', () => {
  it.each([
    ['docker.io/library/nginx:latest', 'nginx', 'latest'],
    ['nginx', 'nginx', 'latest'],
    ['library/nginx:1.25', 'nginx', '1.25'],
    ['index.docker.io/bitnami/redis:7', 'bitnami/redis', '7'],
    ['registry.example.com:5000/team/app:v1', 'registry.example.com/team/app', 'v1'],
    ['localhost:5000/app', 'localhost/app', 'latest'],
    ['example.test/busybox:1.0', 'example.test/busybox', '1.0'],
    ['bazel/v1/tarball:test_image_1', 'bazel/v1/tarball', 'test_image_1'],
    ['test_image_1', 'test_image_1', 'latest'],
  ])('%s -> %s:%s', (ref, repository, tag) => {
    expect(parseImageReference(ref)).toEqual({ repository, tag })
  })

  it.each([
    ['Nginx:latest', /upper-case/],
    ['app@sha256:' + 'a'.repeat(64), /digest reference/],
    ['app:-bad', /not a valid tag/],
    ['a//b', /not a valid repository name/],
    ['', /empty/],
  ])('rejects %s', (ref, reason) => {
    expect(() => parseImageReference(ref)).toThrow(NameError)
    expect(() => parseImageReference(ref)).toThrow(reason)
  })
})

describe('name grammar', () => {
  it('accepts the separators the spec allows and nothing else', () => {
    for (const ok of ['a', 'a.b', 'a_b', 'a__b', 'a--b', 'a/b/c', 'x0/y-1']) expect(repositoryNameProblem(ok)).toBeNull()
    for (const bad of ['-a', 'a-', 'a___b', 'a..b', '/a', 'a/', 'a b', 'A']) expect(repositoryNameProblem(bad)).not.toBeNull()
    expect(repositoryNameProblem('a'.repeat(256))).toMatch(/longer than 255/)
  })
  it('limits tags to 128 characters', () => {
    expect(tagNameProblem('v'.repeat(128))).toBeNull()
    expect(tagNameProblem('v'.repeat(129))).not.toBeNull()
    expect(tagNameProblem('.hidden')).not.toBeNull()
  })
})
