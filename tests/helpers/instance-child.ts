// One Stowage instance in its own process, started as server.ts starts it (lib/boot.ts: configuration
// from the environment, migrations, Redis or PostgreSQL counters for the limits, background jobs, the
// start-up sweep) and serving /v2/, /api/ and the ops endpoints, but without the Next.js console: the
// tests of several instances (tests/integration/cluster-*.test.ts) need no pages and no console build.
// Logs JSON lines on stdout like server.ts; started by startInstanceProcess (instance-process.ts).
import { boot } from '../../lib/boot'
import { listen } from '../../lib/http/stowage-server'
import { startupLine } from '../../lib/http/listen-address'
import { createLogger } from '../../lib/ops/logger'
import { sendConsoleToLogger } from '../../lib/ops/console-to-logger'

const logger = createLogger({ format: 'json', level: 'info' })
sendConsoleToLogger(logger)
const runtime = await boot(process.env, (m) => logger.info(m))
runtime.services.http = { uploadIdleMs: runtime.config.uploadIdleSeconds * 1000, rejectDrainBytes: runtime.config.rejectDrainBytes }
const { address, close } = await listen(runtime.services, { port: runtime.config.port, host: runtime.config.host, log: logger })
logger.info(startupLine(address))
const stop = async () => {
  await close()
  await runtime.shutdown()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
