// The embedded default: s3rver in its own process, data under DATA_DIR/s3, kept across restarts.
// Its own process keeps its CPU work (it rewrites objects on multipart completion) off our event loop.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { childScriptArgs } from '../child-script'

export type EmbeddedS3 = { endpoint: string; stop(): Promise<void> }

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

export async function startEmbeddedS3(dataDir: string, bucket: string, port?: number): Promise<EmbeddedS3> {
  const dir = path.join(dataDir, 's3')
  fs.mkdirSync(dir, { recursive: true })
  const p = port ?? (await freePort())
  const child: ChildProcess = spawn(process.execPath, [...childScriptArgs('embedded-s3'), dir, String(p), bucket], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString()
      if (output.includes('listening')) resolve()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`embedded S3 server exited (code ${code}): ${output.trim()}`)))
    setTimeout(() => reject(new Error(`embedded S3 server did not start within 20 s: ${output.trim()}`)), 20_000).unref()
  })
  child.stdout!.resume()
  child.stderr!.resume()
  const stopOnExit = () => child.kill()
  process.once('exit', stopOnExit)
  return {
    endpoint: `http://127.0.0.1:${p}`,
    stop: async () => {
      process.off('exit', stopOnExit)
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill()
      await exited
    },
  }
}
