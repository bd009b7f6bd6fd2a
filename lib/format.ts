// Pure display helpers for the console (no Node imports: client components use them).

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']

/** Decimal units, like `docker images` ("2.2 MB"); three significant digits above 1 kB. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—'
  if (bytes < 0) return '-' + formatBytes(-bytes)
  if (bytes < 1000) return `${Math.round(bytes)} B`
  let unit = 0
  let value = bytes
  while (value >= 999.5 && unit < BYTE_UNITS.length - 1) {
    value /= 1000
    unit++
  }
  const digits = value >= 99.95 ? 0 : value >= 9.995 ? 1 : 2
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`
}

/** Exact byte count with thousands separators, for tooltips ("2,212,352 bytes"). */
export function formatExactBytes(bytes: number): string {
  return `${groupThousands(bytes)} ${bytes === 1 ? 'byte' : 'bytes'}`
}

function groupThousands(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—'
  return `${formatBytes(bytesPerSecond)}/s`
}

/** A duration in seconds for people: "8 s", "2 min 05 s", "1 h 04 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/** Seconds left at the current rate, or null when it cannot be estimated yet. */
export function estimateRemaining(sent: number, total: number, bytesPerSecond: number | null): number | null {
  if (!bytesPerSecond || bytesPerSecond <= 0 || total <= 0) return null
  return Math.max(0, total - sent) / bytesPerSecond
}

/** "52%" of `whole`; "—" when it is not meaningful. */
export function formatPercent(part: number | null | undefined, whole: number | null | undefined): string {
  if (part === null || part === undefined || !whole || whole <= 0) return '—'
  const p = (part / whole) * 100
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`
}

/** "sha256:e959a857d0603ccd…" -> "e959a857d060" (what `docker images` shows as an ID). */
export function shortDigest(digest: string | null | undefined, length = 12): string {
  if (!digest) return '—'
  const hex = digest.includes(':') ? digest.slice(digest.indexOf(':') + 1) : digest
  return hex.slice(0, length)
}

const RELATIVE_STEPS: [limitSeconds: number, unitSeconds: number, unit: string][] = [
  [60 * 60, 60, 'minute'],
  [24 * 60 * 60, 60 * 60, 'hour'],
  [30 * 24 * 60 * 60, 24 * 60 * 60, 'day'],
]

/** "just now", "5 minutes ago", "3 days ago"; older than a month: the date. `now` is passed for testability. */
export function formatRelativeTime(when: string | number | Date | null | undefined, now: number = Date.now()): string {
  if (when === null || when === undefined) return '—'
  const t = new Date(when).getTime()
  if (Number.isNaN(t)) return '—'
  const ago = Math.round((now - t) / 1000)
  if (ago < 0) return formatDate(t)
  if (ago < 45) return 'just now'
  for (const [limit, size, unit] of RELATIVE_STEPS) {
    if (ago < limit) {
      const n = Math.max(1, Math.round(ago / size))
      if (n * size >= limit) continue // rounds up into the next unit
      return `${n} ${unit}${n === 1 ? '' : 's'} ago`
    }
  }
  return formatDate(t)
}

/** "2024-01-01 00:00 UTC": stable across locales and time zones. */
export function formatDateTime(when: string | number | Date | null | undefined): string {
  if (when === null || when === undefined) return '—'
  const d = new Date(when)
  if (Number.isNaN(d.getTime())) return '—'
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`
}

function formatDate(t: number): string {
  return new Date(t).toISOString().slice(0, 10)
}

/** An entrypoint/cmd array the way a shell would read it: ["/bin/sh", "-c", "echo hi"] -> /bin/sh -c 'echo hi'. */
export function formatCommand(argv: unknown): string | null {
  if (argv === null || argv === undefined) return null
  if (typeof argv === 'string') return argv
  if (!Array.isArray(argv)) return JSON.stringify(argv)
  return argv.map((a) => shellQuote(String(a))).join(' ')
}

function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

/** Strips the BuildKit/legacy noise from a history `created_by` so the command itself shows. */
export function formatCreatedBy(createdBy: string | null | undefined): string {
  if (!createdBy) return ''
  return createdBy
    .replace(/^\/bin\/sh -c #\(nop\)\s+/, '')
    .replace(/^\/bin\/sh -c /, 'RUN ')
    .replace(/\s*# buildkit$/, '')
    .trim()
}

export type PullCommand = { label: string; command: string }

/**
 * Commands that fetch `repository:tag` from this registry. Over plain HTTP the clients must be
 * told not to insist on TLS (docker needs the host in its insecure-registries instead).
 */
export function pullCommands(opts: { host: string; secure: boolean; repository: string; tag: string; digest?: string | null }): PullCommand[] {
  const ref = `${opts.host}/${opts.repository}:${opts.tag}`
  const tls = opts.secure ? '' : ' --tls-verify=false'
  const srcTls = opts.secure ? '' : ' --src-tls-verify=false'
  const archive = `${opts.repository.split('/').pop()}-${opts.tag}.tar`
  const commands: PullCommand[] = [
    { label: 'Docker', command: `docker pull ${ref}` },
    { label: 'Podman', command: `podman pull${tls} ${ref}` },
    { label: 'skopeo', command: `skopeo copy${srcTls} docker://${ref} docker-archive:${archive}:${opts.repository}:${opts.tag}` },
  ]
  if (opts.digest) commands.push({ label: 'By digest', command: `docker pull ${opts.host}/${opts.repository}@${opts.digest}` })
  return commands
}
