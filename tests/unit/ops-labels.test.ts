// Pure pieces of lib/ops: route labels from the route tables, request ids, log formats.
import { describe, it, expect } from 'vitest'
import type { IncomingMessage } from 'node:http'
import { apiRouteLabel, patternLabel, registryRouteLabel, fallbackRoute } from '../../lib/ops/route-label'
import { apiRoutes } from '../../lib/http/console-api'
import { requestIdOf } from '../../lib/ops/request-id'
import { prettyLine, logFormatFrom, logLevelFrom } from '../../lib/ops/logger'
import { ConfigError } from '../../lib/config'

describe('route labels', () => {
  it('turns patterns into paths with * for each parameter', () => {
    expect(patternLabel(/^\/api\/repositories\/(.+?)\/manifests\/(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/)).toBe('/api/repositories/*/manifests/*')
    expect(patternLabel(new RegExp('^/api/organizations/([^/]+)/members/([^/]+)$'))).toBe('/api/organizations/*/members/*')
    expect(patternLabel(/^\/api\/gc\/runs$/)).toBe('/api/gc/runs')
  })

  it('gives every console API route a label without regular-expression syntax', () => {
    const labels = new Set(apiRoutes.map((r) => apiRouteLabel(r)))
    for (const l of labels) expect(l).toMatch(/^\/api(\/[a-z*]+)*$/)
    // few enough to be label values: one per path pattern
    expect(labels.size).toBeLessThanOrEqual(apiRoutes.length)
  })

  it('labels registry routes by kind and falls back by prefix', () => {
    expect(registryRouteLabel({ kind: 'blob', name: 'a/b', digest: 'sha256:x' })).toBe('/v2/*/blobs/*')
    expect(registryRouteLabel({ kind: 'upload', name: 'a/b', sessionId: null })).toBe('/v2/*/blobs/uploads/')
    expect(registryRouteLabel({ kind: 'upload', name: 'a/b', sessionId: 'id' })).toBe('/v2/*/blobs/uploads/*')
    expect(fallbackRoute('/v2/whatever/else')).toBe('v2:unmatched')
    expect(fallbackRoute('/_next/static/x.js')).toBe('console:asset')
    expect(fallbackRoute('/repositories/a/b')).toBe('console:page')
  })
})

describe('request ids', () => {
  const req = (id?: string | string[]) => ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as unknown as IncomingMessage
  it('keeps a sane incoming id and replaces anything else', () => {
    expect(requestIdOf(req('abc-123_x.y:z'))).toBe('abc-123_x.y:z')
    for (const bad of ['', 'has space', 'a\nb', 'x'.repeat(129), '{"json":1}']) expect(requestIdOf(req(bad))).toMatch(/^[0-9a-f-]{36}$/)
    expect(requestIdOf(req())).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('log formats', () => {
  it('renders a record as a short line for a terminal', () => {
    const line = prettyLine(JSON.stringify({ level: 'info', time: '2026-12-06T11:00:01.123Z', pid: 1, hostname: 'h', route: '/v2/*/blobs/*', status: 200, msg: 'request' }))
    expect(line).toBe('11:00:01.123 INFO  request route=/v2/*/blobs/* status=200')
  })
  it('accepts json or pretty, and the pino levels', () => {
    expect(logFormatFrom({}, false)).toBe('json')
    expect(logFormatFrom({}, true)).toBe('pretty') // a terminal: a person reads it
    expect(logFormatFrom({ STOWAGE_LOG_FORMAT: 'json' }, true)).toBe('json')
    expect(logFormatFrom({ STOWAGE_LOG_FORMAT: 'pretty' })).toBe('pretty')
    expect(() => logFormatFrom({ STOWAGE_LOG_FORMAT: 'xml' })).toThrow(ConfigError)
    expect(logLevelFrom({ STOWAGE_LOG_LEVEL: 'debug' })).toBe('debug')
    expect(() => logLevelFrom({ STOWAGE_LOG_LEVEL: 'loud' })).toThrow(ConfigError)
  })
})
