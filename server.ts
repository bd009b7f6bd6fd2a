// Stowage's process: registry API, console API and the Next.js console on one port.
import fs from 'node:fs'
import next from 'next'
import { boot } from './lib/boot'
import { listen } from './lib/http/stowage-server'
import { startupLine, setupLine } from './lib/http/listen-address'
import { ConfigError } from './lib/config'
import { projectRoot } from './lib/paths'
import { publishConsoleServices } from './lib/console/services'
import { createLogger, logFormatFrom, logLevelFrom } from './lib/ops/logger'
import { sendConsoleToLogger } from './lib/ops/console-to-logger'
import { sessionRegistry } from './lib/resumable/session-registry'

process.env.NEXT_TELEMETRY_DISABLED = '1'

async function main() {
  // every line of output is a JSON record (STOWAGE_LOG_FORMAT=pretty: readable lines for a terminal)
  const logger = createLogger({ format: logFormatFrom(process.env), level: logLevelFrom(process.env) })
  sendConsoleToLogger(logger)
  const runtime = await boot(process.env, (m, fields) => (fields ? logger.info(fields, m) : logger.info(m)))
  // server-rendered console pages read through the same services as the API
  publishConsoleServices(runtime.services)
  const dev = process.env.STOWAGE_DEV === '1'
  const app = next({ dev, dir: projectRoot })
  await app.prepare()
  const pages = app.getRequestHandler()
  runtime.services.http = { uploadIdleMs: runtime.config.uploadIdleSeconds * 1000, rejectDrainBytes: runtime.config.rejectDrainBytes }
  // one JSON line per request (lib/ops/exchange.ts: id, method, route, status, bytes, ms, user, the code of a rejected upload)
  // HTTPS when STOWAGE_TLS_CERT/KEY are set (checked readable PEM files at configuration time)
  const tlsPaths = runtime.config.tls
  const tls = tlsPaths ? { cert: fs.readFileSync(tlsPaths.certPath), key: fs.readFileSync(tlsPaths.keyPath) } : undefined
  const resumable = sessionRegistry(runtime.services) // reads STOWAGE_RESUMABLE_IDLE_SECONDS now: a bad value stops the start
  const { address, scheme, close } = await listen(runtime.services, { port: runtime.config.port, host: runtime.config.host, pages, dev, tls, log: logger })
  logger.info(startupLine(address, scheme))
  if (runtime.setupToken) logger.info(setupLine(address, runtime.setupToken, scheme))
  const stop = async () => {
    // resumable uploads stop at their last checkpoint and are released at once for the next instance
    await resumable.suspendAll().catch(() => {})
    await close()
    await runtime.shutdown()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((e) => {
  if (e instanceof ConfigError) console.error(e.message)
  else console.error('Stowage failed to start:', e)
  process.exit(1)
})
