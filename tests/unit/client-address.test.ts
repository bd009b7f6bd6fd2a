// X-Forwarded-For/-Proto/-Host are believed only from STOWAGE_TRUSTED_PROXIES: anyone else could pose
// as another address (audit log, sign-in throttle) or as an https origin (Secure cookies, token realm).
import type { IncomingMessage } from 'node:http'
import { describe, it, expect } from 'vitest'
import { clientAddress, requestOrigin, parseTrustedProxies } from '../../lib/http/client-address'
import type { Services } from '../../lib/services'

const FORWARDED = { host: 'stowage.internal:3000', 'x-forwarded-for': '203.0.113.7, 10.0.0.2', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'registry.example.com' }

const req = (peer: string, headers: Record<string, string> = FORWARDED, encrypted = false) => ({ socket: { remoteAddress: peer, encrypted }, headers }) as unknown as IncomingMessage
const services = (trusted: string | null) => ({ network: { trustedProxies: trusted === null ? null : parseTrustedProxies(trusted) } }) as Services

describe('forwarded headers', () => {
  it('are honoured from a trusted proxy (address or CIDR, IPv4-mapped peers too)', () => {
    for (const [list, peer] of [['10.0.0.1', '10.0.0.1'], ['10.0.0.0/8', '::ffff:10.9.8.7'], ['::1', '::1']]) {
      const s = services(list)
      expect(clientAddress(s, req(peer))).toBe('203.0.113.7')
      expect(requestOrigin(s, req(peer))).toEqual({ proto: 'https', host: 'registry.example.com', origin: 'https://registry.example.com' })
    }
  })

  it('are ignored from anyone else, and when no proxy is trusted', () => {
    for (const [list, peer] of [['10.0.0.1', '10.0.0.2'], ['10.0.0.0/8', '192.168.1.1'], [null, '10.0.0.1'], ['', '127.0.0.1']] as const) {
      const s = services(list)
      expect(clientAddress(s, req(peer))).toBe(peer.replace(/^::ffff:/, ''))
      expect(requestOrigin(s, req(peer))).toEqual({ proto: 'http', host: 'stowage.internal:3000', origin: 'http://stowage.internal:3000' })
    }
  })

  it('a TLS connection is https without any header; a trusted proxy may not make a garbage scheme or address', () => {
    expect(requestOrigin(services(null), req('10.0.0.1', { host: 'h:1' }, true)).origin).toBe('https://h:1')
    const odd = { host: 'h:1', 'x-forwarded-proto': 'javascript', 'x-forwarded-for': 'not-an-ip' }
    expect(requestOrigin(services('10.0.0.1'), req('10.0.0.1', odd)).proto).toBe('http')
    expect(clientAddress(services('10.0.0.1'), req('10.0.0.1', odd))).toBe('10.0.0.1')
  })

  it('a bad STOWAGE_TRUSTED_PROXIES entry is named', () => {
    expect(() => parseTrustedProxies('10.0.0.1, proxy.local')).toThrow('"proxy.local" is not an IP address or CIDR block')
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow('invalid prefix length')
  })
})
