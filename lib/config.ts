// Configuration from environment variables, validated once at start with one message per bad value.
import fs from 'node:fs'
import path from 'node:path'
import { userNameProblem } from './auth/account-names'
import { passwordProblem } from './auth/passwords'
import { parseTrustedProxies } from './http/client-address'
import { type LifecycleSettings, defaultLifecycle } from './lifecycle/settings'
import { type S3ClientTuning, defaultS3ClientTuning } from './storage/s3-client-options'

export type S3Settings = {
  endpoint?: string // unset = start the embedded S3-compatible server
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  forcePathStyle: boolean
  /** timeouts and attempts of the S3 client (lib/storage/s3-client-options.ts) */
  tuning?: Partial<S3ClientTuning>
}

export type Limits = {
  maxLayerBytes: number
  maxJsonBytes: number
  maxEntries: number
  maxJsonDepth: number
  /** what one archive may ask the database for: names per image, images, layers per image */
  maxTagsPerImage: number
  maxImagesPerArchive: number
  maxLayersPerImage: number
  /** uncompressed bytes one archive may make the server read and store (outer .tar.gz and gzip layers) */
  maxArchiveBytes: number
  /** largest inflated/compressed ratio of one gzip stream once it has inflated more than inflateRatioAfterBytes */
  maxInflateRatio: number
  inflateRatioAfterBytes: number
}

export type Config = {
  port: number
  host: string
  dataDir: string
  databaseUrl: string
  s3: S3Settings
  limits: Limits
  analysisConcurrency: number
  /** STOWAGE_FOREGROUND_PRIORITY: uploads hold CPU-heavy background jobs back (false: benchmark comparison) */
  foregroundPriority: boolean
  blobRedirectSeconds: number | null
  /** STOWAGE_UPLOAD_IDLE_SECONDS: close an upload whose body sends nothing for this long (0 = never) */
  uploadIdleSeconds: number
  /** STOWAGE_REJECT_DRAIN_BYTES: body bytes read and dropped after a mid-upload rejection before closing */
  rejectDrainBytes: number
  /** the first administrator, created at start when no user exists (STOWAGE_ADMIN_USER / _PASSWORD) */
  admin: { user: string; password: string | null }
  /** STOWAGE_TRUSTED_PROXIES: addresses/CIDRs whose X-Forwarded-* headers are believed */
  trustedProxies: string
  /** STOWAGE_TLS_CERT / STOWAGE_TLS_KEY: PEM files; set = the server speaks HTTPS only */
  tls: { certPath: string; keyPath: string } | null
  /** STOWAGE_PUSH_RATE_LIMIT: write requests per second of an organization without its own setting (0 = unlimited) */
  pushRatePerSecond: number
  /** STOWAGE_PUSH_RATE_WINDOW_SECONDS: length of a counting window of the push rate limit (rate x window writes per window) */
  pushRateWindowSeconds: number
  /** REDIS_URL: shared counters of the rate limit and sign-in throttling (null = in process) */
  redisUrl: string | null
  /** garbage collection, retention and expiry (lib/lifecycle/settings.ts) */
  lifecycle: LifecycleSettings
  /** STOWAGE_METRICS_TOKEN: bearer token /metrics requires (null = this machine only, lib/ops/metrics-access.ts) */
  metricsToken: string | null
}

export class ConfigError extends Error {
  constructor(public problems: string[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  - ${p}`).join('\n'))
  }
}

export const defaultLimits: Limits = {
  maxLayerBytes: 10 * 1000 ** 3,
  maxJsonBytes: 4 * 1024 * 1024,
  maxEntries: 20_000,
  maxJsonDepth: 64,
  // Docker's overlay2 refuses images deeper than 125 layers, so no runnable image has more than 128.
  maxLayersPerImage: 128,
  // Generous for real images (a few tags each, `docker save` of a whole host's images) and small
  // enough that the worst archive (100 images x 100 names) commits in seconds.
  maxTagsPerImage: 100,
  maxImagesPerArchive: 100,
  maxArchiveBytes: 50 * 1000 ** 3,
  // gzip can reach ~1030:1; real layers rarely pass 20:1 (a zero-filled file does). As zip-bomb
  // defences do, the ratio only counts after a grace size, so small, very repetitive layers pass.
  maxInflateRatio: 100,
  inflateRatioAfterBytes: 64 * 1024 * 1024,
}

export function loadConfig(env: Record<string, string | undefined> = process.env, cpus = 2): Config {
  const problems: string[] = []
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}="${raw}" must be an integer between ${min} and ${max}`)
      return fallback
    }
    return n
  }
  const bool = (name: string, fallback: boolean) => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false
    problems.push(`${name}="${raw}" must be true or false`)
    return fallback
  }

  const dataDir = path.resolve(env.STOWAGE_DATA_DIR || 'data')
  const databaseUrl = env.DATABASE_URL || `file:${path.join(dataDir, 'stowage.db')}`
  if (!/^(file:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    problems.push(`DATABASE_URL must be file:PATH (SQLite) or postgresql://USER@HOST:PORT/DB, got "${databaseUrl.slice(0, 40)}"`)
  }

  const endpoint = env.S3_ENDPOINT || undefined
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) problems.push(`S3_ENDPOINT="${endpoint}" must be an http(s):// URL`)
  const bucket = env.S3_BUCKET || 'layers'
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`S3_BUCKET="${bucket}" is not a valid bucket name`)
  if (endpoint && (!env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY)) {
    problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required when S3_ENDPOINT is set')
  }

  const config: Config = {
    port: int('PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir,
    databaseUrl,
    s3: {
      endpoint,
      bucket,
      region: env.S3_REGION || 'us-east-1',
      accessKeyId: env.S3_ACCESS_KEY_ID || 'S3RVER',
      secretAccessKey: env.S3_SECRET_ACCESS_KEY || 'S3RVER',
      forcePathStyle: bool('S3_FORCE_PATH_STYLE', true),
      tuning: {
        connectTimeoutMs: 1000 * int('S3_CONNECT_TIMEOUT_SECONDS', defaultS3ClientTuning.connectTimeoutMs / 1000, 1, 3600),
        requestTimeoutMs: 1000 * int('S3_REQUEST_TIMEOUT_SECONDS', defaultS3ClientTuning.requestTimeoutMs / 1000, 1, 24 * 3600),
        maxAttempts: int('S3_MAX_ATTEMPTS', defaultS3ClientTuning.maxAttempts, 1, 20),
      },
    },
    limits: {
      maxLayerBytes: int('STOWAGE_MAX_LAYER_BYTES', defaultLimits.maxLayerBytes, 1),
      maxJsonBytes: int('STOWAGE_MAX_JSON_BYTES', defaultLimits.maxJsonBytes, 1024, 256 * 1024 * 1024),
      maxEntries: int('STOWAGE_MAX_ENTRIES', defaultLimits.maxEntries, 10),
      maxJsonDepth: int('STOWAGE_MAX_JSON_DEPTH', defaultLimits.maxJsonDepth, 8, 1000),
      maxTagsPerImage: int('STOWAGE_MAX_TAGS_PER_IMAGE', defaultLimits.maxTagsPerImage, 1, 100_000),
      maxImagesPerArchive: int('STOWAGE_MAX_IMAGES_PER_ARCHIVE', defaultLimits.maxImagesPerArchive, 1, 100_000),
      maxLayersPerImage: int('STOWAGE_MAX_LAYERS_PER_IMAGE', defaultLimits.maxLayersPerImage, 1, 100_000),
      maxArchiveBytes: int('STOWAGE_MAX_ARCHIVE_BYTES', defaultLimits.maxArchiveBytes, 1024),
      maxInflateRatio: int('STOWAGE_MAX_INFLATE_RATIO', defaultLimits.maxInflateRatio, 2, 100_000),
      inflateRatioAfterBytes: int('STOWAGE_INFLATE_RATIO_AFTER_BYTES', defaultLimits.inflateRatioAfterBytes, 0),
    },
    analysisConcurrency: int('STOWAGE_ANALYSIS_CONCURRENCY', Math.max(1, cpus), 1, 64),
    foregroundPriority: bool('STOWAGE_FOREGROUND_PRIORITY', true),
    blobRedirectSeconds: bool('STOWAGE_BLOB_REDIRECT', false) ? int('STOWAGE_BLOB_REDIRECT_SECONDS', 600, 10, 7 * 24 * 3600) : null,
    uploadIdleSeconds: int('STOWAGE_UPLOAD_IDLE_SECONDS', 60, 0, 24 * 3600),
    rejectDrainBytes: int('STOWAGE_REJECT_DRAIN_BYTES', Number.MAX_SAFE_INTEGER, 0),
    admin: { user: env.STOWAGE_ADMIN_USER || 'admin', password: env.STOWAGE_ADMIN_PASSWORD || null },
    trustedProxies: env.STOWAGE_TRUSTED_PROXIES || '',
    tls: tlsPaths(env, problems),
    pushRatePerSecond: int('STOWAGE_PUSH_RATE_LIMIT', 20, 0, 1_000_000),
    pushRateWindowSeconds: int('STOWAGE_PUSH_RATE_WINDOW_SECONDS', 1, 1, 3600),
    redisUrl: env.REDIS_URL || null,
    metricsToken: env.STOWAGE_METRICS_TOKEN || null,
    lifecycle: {
      gcGraceSeconds: int('STOWAGE_GC_GRACE_SECONDS', defaultLifecycle.gcGraceSeconds, 0),
      gcIntervalSeconds: int('STOWAGE_GC_INTERVAL_SECONDS', defaultLifecycle.gcIntervalSeconds, 0),
      retentionIntervalSeconds: int('STOWAGE_RETENTION_INTERVAL_SECONDS', defaultLifecycle.retentionIntervalSeconds, 0),
      expiryIntervalSeconds: int('STOWAGE_EXPIRY_INTERVAL_SECONDS', defaultLifecycle.expiryIntervalSeconds, 0),
      uploadSessionExpirySeconds: int('STOWAGE_UPLOAD_SESSION_EXPIRY_SECONDS', defaultLifecycle.uploadSessionExpirySeconds, 60),
      stagedExpirySeconds: int('STOWAGE_STAGED_EXPIRY_SECONDS', defaultLifecycle.stagedExpirySeconds, 60),
      multipartExpirySeconds: int('STOWAGE_MULTIPART_EXPIRY_SECONDS', defaultLifecycle.multipartExpirySeconds, 60),
      uploadLeaseSeconds: int('STOWAGE_UPLOAD_LEASE_SECONDS', defaultLifecycle.uploadLeaseSeconds, 10, 3600),
      gcBatchRows: defaultLifecycle.gcBatchRows,
    },
  }
  if (config.metricsToken && !/^[\x21-\x7e]{16,}$/.test(config.metricsToken)) problems.push('STOWAGE_METRICS_TOKEN must be at least 16 printable characters without spaces')
  if (config.redisUrl && !/^rediss?:\/\/[^/]+/.test(config.redisUrl)) problems.push('REDIS_URL must be redis://[:PASSWORD@]HOST:PORT[/DB] or rediss://…')
  const adminProblem = userNameProblem(config.admin.user) ?? (config.admin.password === null ? null : passwordProblem(config.admin.password))
  if (adminProblem) problems.push(`STOWAGE_ADMIN_USER/STOWAGE_ADMIN_PASSWORD: ${adminProblem}`)
  try {
    parseTrustedProxies(config.trustedProxies)
  } catch (e) {
    problems.push(`STOWAGE_TRUSTED_PROXIES: ${(e as Error).message}`)
  }
  // The embedded S3 server listens on 127.0.0.1: other machines could not follow a redirect to it.
  if (config.blobRedirectSeconds !== null && !endpoint) problems.push('STOWAGE_BLOB_REDIRECT needs S3_ENDPOINT (clients must reach the object store)')
  if (problems.length) throw new ConfigError(problems)
  return config
}

/** Both TLS files or neither; each must be a readable PEM file of the right kind (checked here, so a
 * typo is a clear start error instead of a stack trace). */
function tlsPaths(env: Record<string, string | undefined>, problems: string[]): Config['tls'] {
  const cert = env.STOWAGE_TLS_CERT || ''
  const key = env.STOWAGE_TLS_KEY || ''
  if (!cert && !key) return null
  if (!cert || !key) {
    problems.push(`STOWAGE_TLS_CERT and STOWAGE_TLS_KEY must be set together (only ${cert ? 'STOWAGE_TLS_CERT' : 'STOWAGE_TLS_KEY'} is set)`)
    return null
  }
  const pem = (name: string, file: string, label: RegExp, what: string) => {
    let text = ''
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch (e) {
      problems.push(`${name}="${file}" cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      return
    }
    if (!label.test(text)) problems.push(`${name}="${file}" is not a PEM ${what} (no "-----BEGIN ${what.toUpperCase()}" line)`)
  }
  pem('STOWAGE_TLS_CERT', cert, /-----BEGIN CERTIFICATE-----/, 'certificate')
  pem('STOWAGE_TLS_KEY', key, /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/, 'private key')
  return { certPath: path.resolve(cert), keyPath: path.resolve(key) }
}
