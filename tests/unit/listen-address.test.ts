// The start-up line: the address really bound, a URL a local client can connect to, and a plain
// warning when every interface is bound (tests and the bench parse the URL from its prefix).
import { describe, it, expect } from 'vitest'
import { describeListening, startupLine } from '../../lib/http/listen-address'
import { loadConfig } from '../../lib/config'

const urlOf = (line: string) => /Stowage listening on (http:\/\/[^\s]+)/.exec(line)?.[1]

describe('start-up line', () => {
  it('names a loopback address as it is', () => {
    const line = startupLine({ address: '127.0.0.1', family: 'IPv4', port: 3000 })
    expect(urlOf(line)).toBe('http://127.0.0.1:3000')
    expect(line).toContain('bound to 127.0.0.1:3000 only')
    expect(line).not.toContain('ALL')
  })

  it('says so when bound to all IPv4 interfaces, with a URL that connects locally', () => {
    const line = startupLine({ address: '0.0.0.0', family: 'IPv4', port: 8080 })
    expect(urlOf(line)).toBe('http://127.0.0.1:8080')
    expect(line).toContain('bound to 0.0.0.0:8080, ALL network interfaces')
  })

  it('brackets IPv6 addresses and uses ::1 for the IPv6 wildcard', () => {
    expect(describeListening({ address: '::', family: 'IPv6', port: 3000 })).toEqual({ url: 'http://[::1]:3000', boundTo: '[::]:3000', allInterfaces: true })
    expect(describeListening({ address: '::1', family: 'IPv6', port: 3000 })).toEqual({ url: 'http://[::1]:3000', boundTo: '[::1]:3000', allInterfaces: false })
    expect(new URL(describeListening({ address: 'fe80::1', family: 'IPv6', port: 1 }).url).port).toBe('1')
  })
})

describe('upload connection settings', () => {
  it('default to a 60 s idle time and no drain bound; reject bad values', () => {
    const c = loadConfig({})
    expect(c.uploadIdleSeconds).toBe(60)
    expect(c.rejectDrainBytes).toBe(Number.MAX_SAFE_INTEGER)
    const set = loadConfig({ STOWAGE_UPLOAD_IDLE_SECONDS: '0', STOWAGE_REJECT_DRAIN_BYTES: '1048576' })
    expect(set).toMatchObject({ uploadIdleSeconds: 0, rejectDrainBytes: 1048576 })
    expect(() => loadConfig({ STOWAGE_UPLOAD_IDLE_SECONDS: '-1' })).toThrow(/STOWAGE_UPLOAD_IDLE_SECONDS/)
    expect(() => loadConfig({ STOWAGE_REJECT_DRAIN_BYTES: 'lots' })).toThrow(/STOWAGE_REJECT_DRAIN_BYTES/)
  })
})
