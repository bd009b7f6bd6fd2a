// The process's logger (pino): one JSON object per line on stdout, for log shippers. STOWAGE_LOG_FORMAT=
// pretty renders the same records as short human lines (no extra package: a few lines here). Default:
// pretty when stdout is a terminal (a newcomer's `npm start`), json otherwise (services, CI, log shippers).
import pino from 'pino'
import { ConfigError } from '../config'

export type Logger = pino.Logger
export type LogFormat = 'json' | 'pretty'

export function logFormatFrom(env: Record<string, string | undefined>, terminal = process.stdout.isTTY === true): LogFormat {
  const v = (env.STOWAGE_LOG_FORMAT || (terminal ? 'pretty' : 'json')).toLowerCase()
  if (v !== 'json' && v !== 'pretty') throw new ConfigError([`STOWAGE_LOG_FORMAT must be json or pretty, not "${v.slice(0, 20)}"`])
  return v
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** STOWAGE_LOG_LEVEL (default info; debug adds the lines of successful /healthz and /readyz probes). */
export function logLevelFrom(env: Record<string, string | undefined>): string {
  const v = (env.STOWAGE_LOG_LEVEL || 'info').toLowerCase()
  if (!LEVELS.includes(v)) throw new ConfigError([`STOWAGE_LOG_LEVEL must be one of ${LEVELS.join(', ')}, not "${v.slice(0, 20)}"`])
  return v
}

/** `write` gets each record as one line without its newline (default: stdout). */
export function createLogger(opts: { write?: (line: string) => void; format?: LogFormat; level?: string } = {}): Logger {
  const write = opts.write ?? ((line: string) => void process.stdout.write(line + '\n'))
  const pretty = opts.format === 'pretty'
  const destination = { write: (record: string) => write(pretty ? prettyLine(record) : record.trimEnd()) }
  return pino(
    {
      level: opts.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
}

const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg'])

/** "12:00:01.123 INFO  msg key=value …" */
export function prettyLine(record: string): string {
  let r: Record<string, unknown>
  try {
    r = JSON.parse(record)
  } catch {
    return record.trimEnd()
  }
  const time = typeof r.time === 'string' ? r.time.slice(11, 23) : ''
  const fields = Object.entries(r)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
  return [time, String(r.level ?? '').toUpperCase().padEnd(5), r.msg ?? '', ...fields].join(' ')
}
