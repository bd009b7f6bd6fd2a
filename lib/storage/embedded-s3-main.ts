// The embedded S3 server's process (lib/storage/s3rver.ts).
// usage: embedded-s3-main <directory> <port> <bucket>; prints "listening" once it accepts requests.
import { createS3rver } from './s3rver'

const [directory, port, bucket] = process.argv.slice(2)
const server = createS3rver(directory, bucket, Number(port))
await server.run()
console.log(`embedded S3 server listening on 127.0.0.1:${port}`)
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void server.close().finally(() => process.exit(0)))
