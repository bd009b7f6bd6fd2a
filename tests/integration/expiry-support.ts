// Shared by the expiry tests: an archive upload over HTTP that is held in the middle (its first bytes
// sent, the rest on release), a second Stowage instance booted on the same database and bucket, and a
// look at what the test's s3rver keeps for unfinished multipart uploads.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import http from 'node:http'
import type { Stack } from '../helpers/stack'
import { boot, sweepLeftovers } from '../../lib/boot'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import { openDatabase } from '../../lib/db/client'
import { s3rverUploadsRoot } from '../../lib/storage/s3rver'
import { ListPartsCommand } from '@aws-sdk/client-s3'

/** POSTs `archive` to the upload API, sending `holdAt` bytes now and the rest when `release()` is called. */
export function heldUpload(url: string, archive: Buffer, holdAt: number) {
  const req = http.request(`${url}/api/uploads`, { method: 'POST', headers: { 'Content-Length': String(archive.length), 'Content-Type': 'application/x-tar' } })
  const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text || 'null') }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
  answer.catch(() => {})
  req.write(archive.subarray(0, holdAt))
  return {
    answer,
    release() {
      req.end(archive.subarray(holdAt))
      return answer
    },
    abort: () => req.destroy(),
  }
}

/**
 * Another Stowage instance starting on the stack's database and bucket. PostgreSQL: started the way
 * `npm start` starts one (boot: migration, start-up collection, ...). SQLite is one process by design
 * (a second process cannot migrate a database another one writes): a second set of services with its own
 * database client runs boot's start-up collection (sweepLeftovers), as a restarted instance would.
 */
export async function startSecondInstance(stack: Stack, logs: string[]): Promise<{ server: RunningServer; close(): Promise<void> }> {
  const log = (m: string) => void logs.push(m)
  if (stack.provider === 'sqlite') {
    const db = await openDatabase(stack.databaseUrl)
    const services = { db, store: stack.store, limits: stack.limits, auth: stack.auth }
    await sweepLeftovers(services, log)
    const server = await listen(services, { port: 0, host: '127.0.0.1' })
    return {
      server,
      async close() {
        await server.close()
        await db.$disconnect()
      },
    }
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-second-'))
  const runtime = await boot(
    {
      STOWAGE_DATA_DIR: dataDir,
      DATABASE_URL: stack.databaseUrl,
      ...stack.s3Env,
    },
    log,
  )
  runtime.services.auth = { ...runtime.services.auth, openAccess: true } // not a test of access control
  const server = await listen(runtime.services, { port: 0, host: '127.0.0.1' })
  return {
    server,
    async close() {
      await server.close()
      await runtime.shutdown()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Upload ids of the bucket's unfinished multipart uploads (s3rver: one folder each; else ListMultipartUploads). */
export async function multipartDirs(stack: Stack): Promise<string[]> {
  if (!stack.s3Dir) {
    const ids: string[] = []
    for await (const u of stack.store.listMultipartUploads('')) ids.push(u.uploadId)
    return ids
  }
  const root = s3rverUploadsRoot(stack.s3Dir, 'layers')
  return fs.existsSync(root) ? fs.readdirSync(root).filter((d) => /^[0-9a-f]{32}$/.test(d)) : []
}

/** Parts stored of one multipart upload (s3rver: its part files on disk, as it has no ListParts; else ListParts). */
export async function partFiles(stack: Stack, uploadId: string): Promise<string[]> {
  if (!stack.s3Dir) {
    const record = await stack.db.multipartUpload.findFirst({ where: { uploadId } })
    const key = record?.objectKey ?? (await keyOfUpload(stack, uploadId))
    if (!key) return []
    try {
      const out = await stack.store.client.send(new ListPartsCommand({ Bucket: stack.store.bucket, Key: key, UploadId: uploadId }))
      return (out.Parts ?? []).map((p) => String(p.PartNumber))
    } catch (e: any) {
      // an aborted or completed upload: NoSuchUpload on AWS, NoSuchKey on Ceph RGW
      if (['NoSuchUpload', 'NoSuchKey', 'NotFound'].includes(e?.name) || e?.$metadata?.httpStatusCode === 404) return []
      throw e
    }
  }
  const dir = path.join(s3rverUploadsRoot(stack.s3Dir, 'layers'), uploadId)
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^\d+$/.test(f)) : []
}

async function keyOfUpload(stack: Stack, uploadId: string) {
  for await (const u of stack.store.listMultipartUploads('')) if (u.uploadId === uploadId) return u.key
  return null
}
