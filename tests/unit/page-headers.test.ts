// Page security headers (lib/http/page-headers.ts) and the sign-in page's `next` (lib/console/safe-next.ts):
// the nonce Next reads is the server's own, never the client's; scripts need the nonce; nobody frames the
// console; a crafted sign-in link cannot send the user to another site.
import { describe, it, expect } from 'vitest'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { applyDataHeaders, applyPageHeaders, pagePolicy } from '../../lib/http/page-headers'
import { safeNext } from '../../lib/console/safe-next'
import { getScriptNonceFromHeaders } from 'next/dist/server/app-render/get-script-nonce-from-header'

function exchange(headers: Record<string, string> = {}) {
  const req = { headers: { ...headers } } as unknown as IncomingMessage
  const sent: Record<string, string> = {}
  const res = { setHeader: (k: string, v: string) => void (sent[k.toLowerCase()] = v) } as unknown as ServerResponse
  return { req, res, sent }
}

describe('page security headers', () => {
  it('puts a fresh nonce into the request for Next and the same policy on the response', () => {
    const a = exchange({ 'content-security-policy': "script-src 'nonce-attacker'", 'x-nonce': 'attacker' })
    applyPageHeaders(a.req, a.res)
    const nonce = getScriptNonceFromHeaders(a.req.headers as any)
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{24}$/)
    expect(nonce).not.toBe('attacker')
    expect(a.req.headers['x-nonce']).toBe(nonce)
    expect(a.sent['content-security-policy']).toBe(a.req.headers['content-security-policy'])
    expect(a.sent).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin' })
    const b = exchange()
    applyPageHeaders(b.req, b.res)
    expect(getScriptNonceFromHeaders(b.req.headers as any)).not.toBe(nonce)
  })

  it('scripts need the nonce (no unsafe-inline, no unsafe-eval outside development); never framed', () => {
    const script = (p: string) => p.split('; ').find((d) => d.startsWith('script-src'))!
    expect(script(pagePolicy('n0nce'))).toBe("script-src 'self' 'nonce-n0nce'")
    expect(script(pagePolicy('n0nce', true))).toContain("'unsafe-eval'")
    expect(pagePolicy('n0nce')).toContain("frame-ancestors 'none'")
    expect(pagePolicy('n0nce')).toContain("object-src 'none'")
  })

  it('/api and /v2 answers: nosniff and no framing', () => {
    const a = exchange()
    applyDataHeaders(a.res)
    expect(a.sent['x-content-type-options']).toBe('nosniff')
    expect(a.sent['content-security-policy']).toContain("frame-ancestors 'none'")
  })
})

describe('sign-in next', () => {
  it('keeps console paths and refuses other sites', () => {
    expect(safeNext('/repositories/acme/app?x=1')).toBe('/repositories/acme/app?x=1')
    expect(safeNext(['/upload', '/x'])).toBe('/upload')
    for (const bad of [undefined, '', 'https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)', '/\nx']) expect(safeNext(bad), String(bad)).toBe('/')
  })
})
