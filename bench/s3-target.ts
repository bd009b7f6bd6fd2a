// Which S3 the benchmarks use: the embedded s3rver (default) or, when S3_ENDPOINT is set, that service
// (e.g. a local Ceph RGW). With an external S3 each Stowage process gets a bucket of its own, created by
// the server at start and emptied and deleted by the benchmark afterwards, so runs never see each other's
// objects and nothing is left behind in the operator's store.
import crypto from 'node:crypto'
import path from 'node:path'
import { execFileSync, spawn } from 'node:child_process'
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { createS3Client } from '../lib/storage/s3-blob-store'
import type { S3Settings } from '../lib/config'
import { freePort } from '../lib/free-port'

export type S3Endpoint = S3Settings & { endpoint: string }

const EMBEDDED_CREDENTIALS = { region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true }

/** The external S3 named by this process's S3_* variables (minus the bucket), or null: use the embedded s3rver. */
export function externalS3(env: NodeJS.ProcessEnv = process.env): Omit<S3Endpoint, 'bucket'> | null {
  if (!env.S3_ENDPOINT) return null
  if (!env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY) throw new Error('S3_ENDPOINT is set: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are needed too')
  return {
    endpoint: env.S3_ENDPOINT.replace(/\/+$/, ''),
    region: env.S3_REGION || 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: !['false', '0', 'no'].includes((env.S3_FORCE_PATH_STYLE ?? 'true').toLowerCase()),
  }
}

export const embeddedS3 = (endpoint: string, bucket = 'layers'): S3Endpoint => ({ endpoint, bucket, ...EMBEDDED_CREDENTIALS })

/** A bucket name no other run uses (S3 bucket rules: lowercase, digits, dashes, 3–63 characters). */
export const freshBucketName = (label: string) => `stowage-bench-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 20)}-${crypto.randomBytes(4).toString('hex')}`

/** What the S3 server is called in reports: the embedded one, or the host of S3_ENDPOINT. */
export function s3Label(): string {
  const ext = externalS3()
  return ext ? `S3 at ${ext.endpoint}` : 'embedded s3rver'
}

export const s3Client = (s: S3Endpoint): S3Client => createS3Client(s)

/** Deletes every object of the bucket (pages of 1000, StartAfter so no continuation token is needed) and then the bucket. */
export async function deleteBucket(s: S3Endpoint) {
  const client = s3Client(s)
  try {
    let after: string | undefined
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: s.bucket, StartAfter: after, MaxKeys: 1000 }))
      const keys = (page.Contents ?? []).map((o) => o.Key!).filter(Boolean)
      if (keys.length === 0) break
      await client.send(new DeleteObjectsCommand({ Bucket: s.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }))
      after = keys[keys.length - 1]
    }
    await client.send(new DeleteBucketCommand({ Bucket: s.bucket }))
  } catch (e: any) {
    if (e?.name !== 'NoSuchBucket') throw e
  } finally {
    client.destroy()
  }
}

/**
 * The pid of the local process listening on the endpoint's port (radosgw for a local Ceph), so its CPU and
 * memory are measured like the embedded s3rver's; 0 when the S3 is not on this machine (then not measured).
 */
export function localListenerPid(endpoint: string): number {
  const url = new URL(endpoint)
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname)) return 0
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`]).toString()
    return Number(/pid=(\d+)/.exec(out)?.[1] ?? 0)
  } catch {
    return 0
  }
}

/**
 * For benchmarks that compare several servers on one S3: without S3_ENDPOINT, starts one s3rver process
 * (data in dir) and sets this process's S3_* to it, so every Stowage (startStowage) and the reference
 * registry use the same S3 server, each in a bucket of its own. With S3_ENDPOINT set, does nothing (null).
 */
export async function shareOneS3(root: string, dir: string, log: (m: string) => void): Promise<{ pid: number; stop(): Promise<void> } | null> {
  if (externalS3()) return null
  const port = await freePort()
  const child = spawn(process.execPath, [path.join(root, 'node_modules', 's3rver', 'bin', 's3rver.js'), '-d', dir, '-a', '127.0.0.1', '-p', String(port), '-s'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), 20_000)
    const onData = (d: Buffer) => {
      output += d
      if (/listening/i.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then(() => reject(new Error(`s3rver exited during start-up:\n${output}`)))
  })
  const endpoint = `http://127.0.0.1:${port}`
  Object.assign(process.env, { S3_ENDPOINT: endpoint, S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: 'true' })
  log(`no S3_ENDPOINT: started one s3rver at ${endpoint} (pid ${child.pid}) for every server of this run`)
  return {
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM')
      await exited
      for (const name of ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_REGION', 'S3_FORCE_PATH_STYLE']) delete process.env[name]
    },
  }
}
