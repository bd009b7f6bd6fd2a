// Messages written with console.* (libraries, Next.js, error reports) go through the logger too, so every
// line of the server's output is a JSON record. Only the server process does this (server.ts), not tests.
import { format } from 'node:util'
import type { Logger } from './logger'

export function sendConsoleToLogger(logger: Logger) {
  console.log = (...args: unknown[]) => logger.info(format(...args))
  console.info = console.log
  console.warn = (...args: unknown[]) => logger.warn(format(...args))
  console.error = (...args: unknown[]) => logger.error(format(...args))
}
