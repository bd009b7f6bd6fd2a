// The embedded S3 server's process: s3rver on 127.0.0.1 with parts of aborted uploads removed.
// usage: embedded-s3-main <directory> <port> <bucket>; prints "listening" once it accepts requests.
import S3rver from 's3rver'
import { removePartsOnAbort } from './s3rver-abort'

const [directory, port, bucket] = process.argv.slice(2)
const server = new S3rver({ address: '127.0.0.1', port: Number(port), directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] } as any)
removePartsOnAbort(server as any, directory)
await server.run()
console.log(`embedded S3 server listening on 127.0.0.1:${port}`)
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void server.close().finally(() => process.exit(0)))
