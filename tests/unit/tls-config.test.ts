// STOWAGE_TLS_CERT / STOWAGE_TLS_KEY: both or neither, readable PEM files of the right kind, each
// mistake a start error that names the variable; with TLS the start-up line and URL say https.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { loadConfig, ConfigError } from '../../lib/config'
import { describeListening, startupLine, setupLine } from '../../lib/http/listen-address'

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n'

describe('TLS configuration', () => {
  let dir: string
  const file = (name: string, text: string) => {
    const p = path.join(dir, name)
    fs.writeFileSync(p, text)
    return p
  }
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env)
      return []
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      return (e as ConfigError).problems
    }
  }
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-tls-config-'))
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('is off without the variables and on with two readable PEM files', () => {
    expect(loadConfig({}).tls).toBeNull()
    const cert = file('cert.pem', CERT)
    const key = file('key.pem', KEY.replace(/PRIVATE KEY/g, 'EC PRIVATE KEY'))
    expect(loadConfig({ STOWAGE_TLS_CERT: cert, STOWAGE_TLS_KEY: key }).tls).toEqual({ certPath: cert, keyPath: key })
  })

  it('needs both variables', () => {
    expect(problems({ STOWAGE_TLS_CERT: file('only.pem', CERT) })).toEqual(['STOWAGE_TLS_CERT and STOWAGE_TLS_KEY must be set together (only STOWAGE_TLS_CERT is set)'])
    expect(problems({ STOWAGE_TLS_KEY: file('only-key.pem', KEY) })).toEqual(['STOWAGE_TLS_CERT and STOWAGE_TLS_KEY must be set together (only STOWAGE_TLS_KEY is set)'])
  })

  it('names an unreadable file and a file of the wrong kind', () => {
    const missing = path.join(dir, 'nope.pem')
    expect(problems({ STOWAGE_TLS_CERT: missing, STOWAGE_TLS_KEY: file('k.pem', KEY) })).toEqual([`STOWAGE_TLS_CERT="${missing}" cannot be read: ENOENT`])
    // swapped: the key where the certificate belongs and the other way round
    const cert = file('c.pem', CERT)
    const key = file('k2.pem', KEY)
    expect(problems({ STOWAGE_TLS_CERT: key, STOWAGE_TLS_KEY: cert })).toEqual([
      `STOWAGE_TLS_CERT="${key}" is not a PEM certificate (no "-----BEGIN CERTIFICATE" line)`,
      `STOWAGE_TLS_KEY="${cert}" is not a PEM private key (no "-----BEGIN PRIVATE KEY" line)`,
    ])
  })

  it('the start-up and setup lines give https URLs', () => {
    const address = { address: '0.0.0.0', family: 'IPv4', port: 8443 }
    expect(describeListening(address, 'https').url).toBe('https://127.0.0.1:8443')
    expect(startupLine(address, 'https')).toMatch(/^Stowage listening on https:\/\/127\.0\.0\.1:8443 .*registry: 127\.0\.0\.1:8443\/v2\//)
    expect(setupLine(address, 'tok', 'https')).toContain('https://127.0.0.1:8443/setup?token=tok')
  })
})
