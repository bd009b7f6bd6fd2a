// How failures of the object store and the database are recognised (lib/storage/store-errors.ts,
// lib/db/db-errors.ts) and how the PostgreSQL pool and the S3 client are configured against hangs.
import { describe, it, expect } from 'vitest'
import { storeFaultMessage } from '../../lib/storage/store-errors'
import { isDatabaseUnavailable } from '../../lib/db/db-errors'
import { pgPoolConfig, DEFAULT_PG_CONNECT_TIMEOUT_MS } from '../../lib/db/client'
import { s3ClientOptions, defaultS3ClientTuning } from '../../lib/storage/s3-client-options'
import { loadConfig } from '../../lib/config'

const s3Error = (name: string, status: number) => Object.assign(new Error('x'), { name, $metadata: { httpStatusCode: status } })

describe('object store faults', () => {
  it('5xx answers and a missing bucket are the store failing; answers about the request are not', () => {
    expect(storeFaultMessage(s3Error('ServiceUnavailable', 503), 'layers')).toBe('the object store failed (it answered 503 ServiceUnavailable); try again in a moment')
    expect(storeFaultMessage(s3Error('InternalError', 500), 'layers')).toMatch(/answered 500 InternalError/)
    expect(storeFaultMessage(s3Error('NoSuchBucket', 404), 'layers')).toMatch(/no bucket "layers"/)
    expect(storeFaultMessage(s3Error('NoSuchKey', 404), 'layers')).toBeNull()
    expect(storeFaultMessage(s3Error('AccessDenied', 403), 'layers')).toBeNull()
    expect(storeFaultMessage(new Error('plain'), 'layers')).toBeNull()
  })

  it('the S3 client fails a request that gets no answer, and tries each request a bounded number of times', () => {
    const o = s3ClientOptions({ requestTimeoutMs: 1234 })
    expect(o.requestHandler).toEqual({ connectionTimeout: defaultS3ClientTuning.connectTimeoutMs, requestTimeout: 1234, throwOnRequestTimeout: true })
    expect(o.maxAttempts).toBe(defaultS3ClientTuning.maxAttempts)
  })

  it('the timeouts are settings, checked at start', () => {
    expect(loadConfig({ S3_REQUEST_TIMEOUT_SECONDS: '5', S3_MAX_ATTEMPTS: '4' }).s3.tuning).toEqual({ connectTimeoutMs: 5000, requestTimeoutMs: 5000, maxAttempts: 4 })
    expect(() => loadConfig({ S3_MAX_ATTEMPTS: '0' })).toThrow(/S3_MAX_ATTEMPTS="0" must be an integer between 1 and 20/)
  })
})

describe('database faults', () => {
  it('connection failures are recognised whichever layer reports them', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error("Can't reach database server at 10.0.0.1:5432"), { code: 'P1001' }))).toBe(true)
    expect(isDatabaseUnavailable(new Error('Server has closed the connection.'))).toBe(true)
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } } }))).toBe(true)
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { cause: Object.assign(new Error('y'), { code: 'ECONNRESET' }) }))).toBe(true)
    expect(isDatabaseUnavailable(Object.assign(new Error('Unique constraint failed'), { code: 'P2002' }))).toBe(false)
    expect(isDatabaseUnavailable(new Error('syntax error at or near'))).toBe(false)
  })

  it('the pool gives up on a connection after 10 s unless the URL sets connect_timeout', () => {
    expect(pgPoolConfig('postgresql://u@h:5432/d').connectionTimeoutMillis).toBe(DEFAULT_PG_CONNECT_TIMEOUT_MS)
    expect(pgPoolConfig('postgresql://u@h:5432/d?connect_timeout=3').connectionTimeoutMillis).toBe(3000)
    expect(pgPoolConfig('postgresql://u@h:5432/d').keepAlive).toBe(true)
  })
})
