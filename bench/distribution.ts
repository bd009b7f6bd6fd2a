// Runs the reference registry, Debian's `docker-registry` (CNCF distribution 2.8), for side-by-side
// benchmarks: no auth (an open registry; Stowage's pulls carry a token), listening on 127.0.0.1, with either
// its filesystem driver or its S3 driver pointed at the S3 Stowage uses (its own bucket, created here and
// deleted by stop()). Blob GETs are served by the registry itself (`redirect: disable`), as Stowage serves
// them, so both sit in the same data path.
import fs from 'node:fs'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { CreateBucketCommand } from '@aws-sdk/client-s3'
import { deleteBucket, freshBucketName, s3Client, type S3Endpoint } from './s3-target'
import { freePort } from '../lib/free-port'

export const DISTRIBUTION_BINARY = '/usr/bin/docker-registry'

export type DistributionProcess = { url: string; host: string; pid: number; storage: string; stop(): Promise<void> }

export function distributionVersion(): string | null {
  if (!fs.existsSync(DISTRIBUTION_BINARY)) return null
  const r = spawnSync(DISTRIBUTION_BINARY, ['--version'])
  return r.status === 0 ? r.stdout.toString().trim() : null
}

/** config.yml for distribution 2.8 (YAML written by hand: the values are ours and need no quoting rules beyond these). */
function configYaml(port: number, storage: { kind: 'filesystem'; dir: string } | { kind: 's3'; s3: S3Endpoint }): string {
  const store =
    storage.kind === 'filesystem'
      ? [`  filesystem:`, `    rootdirectory: ${storage.dir}`]
      : [
          `  s3:`,
          `    accesskey: "${storage.s3.accessKeyId}"`,
          `    secretkey: "${storage.s3.secretAccessKey}"`,
          `    region: ${storage.s3.region}`,
          // with regionendpoint set, the 2.8 driver addresses buckets path-style (what Ceph RGW and s3rver need)
          `    regionendpoint: ${storage.s3.endpoint}`,
          `    bucket: ${storage.s3.bucket}`,
          `    secure: ${storage.s3.endpoint.startsWith('https:')}`,
          `    v4auth: true`,
          `    chunksize: 8388608`,
        ]
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: json', // a JSON line per request, as Stowage logs
    'storage:',
    '  cache:',
    '    blobdescriptor: inmemory',
    ...store,
    '  delete:',
    '    enabled: true',
    '  redirect:',
    '    disable: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n')
}

/** Starts docker-registry with its config in workDir (and, for the filesystem driver, its data there too). */
export async function startDistribution(workDir: string, storage: 'filesystem' | S3Endpoint): Promise<DistributionProcess> {
  if (!distributionVersion()) throw new Error(`${DISTRIBUTION_BINARY} not found: apt-get install -y docker-registry`)
  fs.mkdirSync(workDir, { recursive: true })
  const port = await freePort()
  let s3: S3Endpoint | null = null
  if (storage !== 'filesystem') {
    s3 = { ...storage, bucket: freshBucketName('distribution') }
    const client = s3Client(s3)
    try {
      await client.send(new CreateBucketCommand({ Bucket: s3.bucket }))
    } finally {
      client.destroy()
    }
  }
  const configPath = path.join(workDir, 'config.yml')
  fs.writeFileSync(configPath, configYaml(port, s3 ? { kind: 's3', s3 } : { kind: 'filesystem', dir: path.join(workDir, 'data') }))
  const logFile = fs.openSync(path.join(workDir, 'registry.log'), 'a')
  // AWS_CA_BUNDLE (set on some machines for other tools) makes the Go SDK of distribution 2.8 panic at start
  // with a plain-HTTP endpoint ("LoadCustomCABundleError ... unsupported transport"); it talks to our endpoint only
  const env = { ...process.env }
  delete env.AWS_CA_BUNDLE
  const child = spawn(DISTRIBUTION_BINARY, ['serve', configPath], { stdio: ['ignore', logFile, logFile], env })
  fs.closeSync(logFile)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  const deadline = performance.now() + 30_000
  for (;;) {
    const ok = await fetch(`${url}/v2/`).then((r) => r.status === 200, () => false)
    if (ok) break
    if (child.exitCode !== null || performance.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`docker-registry did not start (exit ${child.exitCode}); log:\n${fs.readFileSync(path.join(workDir, 'registry.log'), 'utf8').slice(-2000)}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    pid: child.pid!,
    storage: s3 ? `S3 driver, bucket ${s3.bucket} at ${s3.endpoint}` : 'filesystem driver',
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
      if (s3) await deleteBucket(s3)
    },
  }
}
