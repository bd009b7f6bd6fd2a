// The scopes a token request asks for: repeated `scope` parameters or space-separated ones (OAuth2),
// merged per resource; malformed ones and unknown resource types are dropped, not errors. (What is
// granted for them is decided by the live policy: tests/integration/registry-login.test.ts.)
import { describe, it, expect } from 'vitest'
import { requestedScopes, MAX_SCOPES } from '../../lib/auth/grant-scopes'

describe('requested scopes', () => {
  it('parses repeated and space-separated scopes and merges the actions of one resource', () => {
    expect(requestedScopes(['repository:acme/app:pull', 'repository:acme/app:push,pull registry:catalog:*', 'repository:localhost:5000/acme/x:pull'])).toEqual([
      { type: 'repository', name: 'acme/app', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ])
  })

  it('drops malformed scopes, invalid repository names and unknown types', () => {
    expect(requestedScopes(['', 'repository', 'repository:acme/app', 'repository:Acme/App:pull', 'registry:other:*', 'plugin:x:pull', 'repository:acme/../x:pull'])).toEqual([])
  })

  it('reads at most MAX_SCOPES scopes', () => {
    const many = Array.from({ length: MAX_SCOPES + 10 }, (_, i) => `repository:acme/r${i}:pull`)
    expect(requestedScopes([many.join(' ')])).toHaveLength(MAX_SCOPES)
  })
})
