// The embedded S3 server's process (lib/storage/s3rver.ts).
// usage: embedded-s3-main <directory> <port> <bucket> [pid file]; prints "listening" once it accepts requests.
// It lives only as long as the Stowage process that started it: it exits when its stdin (a pipe from
// Stowage) reaches end-of-file, which happens when Stowage dies, even by kill -9, and when its parent
// process changes (belt and braces, e.g. when started through a launcher).
import fs from 'node:fs'
import { createS3rver } from './s3rver'

const [directory, port, bucket, pidFile] = process.argv.slice(2)
const parent = process.ppid
const server = createS3rver(directory, bucket, Number(port))
await server.run()
if (pidFile) fs.writeFileSync(pidFile, `${process.pid}\n`)
console.log(`embedded S3 server listening on 127.0.0.1:${port}`)

let exiting = false
const exit = () => {
  if (exiting) return
  exiting = true
  setTimeout(() => process.exit(0), 2000).unref() // an upload in flight must not keep it alive
  void server.close().finally(() => process.exit(0))
}
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, exit)
if (!process.stdin.isTTY) {
  process.stdin.on('end', exit)
  process.stdin.on('error', exit)
  process.stdin.resume()
}
setInterval(() => {
  if (process.ppid !== parent) exit()
}, 500)
