// Renders the registry benchmark's results as Markdown tables (printed and written to
// bench/out/registry-results.md). Column meanings: bench/README.md, "Registry benchmark".
import os from 'node:os'

export const MiB = 2 ** 20

/** CPU cores used by each party during a phase (CPU seconds / wall seconds); other = rest of the machine. */
export type Cores = { server: number; s3rver: number; bench: number; other: number }

/** What each of our processes spent on a phase: CPU seconds and minor page faults. */
export type Work = { cpuSeconds: { server: number; s3rver: number; bench: number }; minorFaults: { server: number; s3rver: number; bench: number } }

/** curl: a native client, as docker's, podman's and skopeo's are; node: this benchmark's own process */
export type PullClient = 'curl' | 'node'

export type PullRun = { client: PullClient; mode: 'v2' | 's3'; run: number; bytes: number; seconds: number; cores: Cores; work: Work }

export type MemoryPhase = { clients: number; bytes: number; seconds: number; peakRss: number; s3rverPeakRss: number; samples: number; cores: Cores; work: Work }

export type PushResult = {
  archiveBytes: number
  layers: number
  skopeoSeconds: number
  skopeoCpuSeconds: number
  skopeoWireBytes: number
  skopeoLayerBytes: number
  serverCoresSkopeo: number
  uploadSeconds: number
  serverCoresUpload: number
  otherCoresSkopeo: number
  otherCoresUpload: number
}

export type RegistryResults = {
  started: Date
  machine: string
  loadAverage: number
  blobBytes: number
  blobDigest: string
  pulls: PullRun[]
  rssBaseline: number
  hwmBefore: number
  memory: MemoryPhase[]
  push: PushResult | null
  notes: string[]
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const mib = (n: number) => (n / MiB).toFixed(1)
const rate = (bytes: number, seconds: number) => bytes / MiB / seconds
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
const cores = (c: Cores) => [c.server, c.s3rver, c.bench, c.other].map((n) => n.toFixed(2)).join(' / ')
/** CPU milliseconds per MiB moved, for server / s3rver / bench */
const msPerMiB = (w: Work, bytes: number) => [w.cpuSeconds.server, w.cpuSeconds.s3rver, w.cpuSeconds.bench].map((s) => ((s * 1000) / (bytes / MiB)).toFixed(2)).join(' / ')
const faultsPerMiB = (w: Work, bytes: number) => [w.minorFaults.server, w.minorFaults.s3rver, w.minorFaults.bench].map((n) => (n / (bytes / MiB)).toFixed(1)).join(' / ')

/** the machine's core count, for the saturation remark */
const machineCores = () => os.cpus().length

export const PULL_TARGET = 0.9
/** A concurrent pull may add its own stream buffers, not a share of the bytes in flight. */
export const FLAT_SLACK_BYTES = 32 * MiB

/** Per client (in the order they ran): median /v2 and direct throughput, and their ratio. */
export function pullSummary(r: RegistryResults) {
  const clients = [...new Set(r.pulls.map((p) => p.client))]
  return clients.map((client) => {
    const of = (mode: PullRun['mode']) => median(r.pulls.filter((p) => p.client === client && p.mode === mode).map((p) => rate(p.bytes, p.seconds)))
    const v2 = of('v2')
    const s3 = of('s3')
    return { client, v2, s3, ratio: v2 / s3 }
  })
}

const clientLabel = (c: PullClient) => (c === 'curl' ? 'curl (native)' : 'Node (this process)')

export function renderReport(r: RegistryResults): string {
  const summaries = pullSummary(r)
  const single = r.memory.find((m) => m.clients === 1)
  const many = r.memory.find((m) => m.clients > 1)
  const flat = single && many ? many.peakRss - single.peakRss <= FLAT_SLACK_BYTES : false

  // With every core busy, throughput is inversely proportional to the CPU all parties spend per MiB.
  // (only for the Node client: curl's CPU is not measured per process)
  const cpuPerMiB = (mode: PullRun['mode']) =>
    median(r.pulls.filter((p) => p.client === 'node' && p.mode === mode).map((p) => ((p.work.cpuSeconds.server + p.work.cpuSeconds.s3rver + p.work.cpuSeconds.bench) * 1000) / (p.bytes / MiB)))
  const model = r.pulls.some((p) => p.client === 'node')
    ? `Node client: CPU spent per MiB by server + s3rver + bench (medians): /v2 ${cpuPerMiB('v2').toFixed(2)} ms, direct ${cpuPerMiB('s3').toFixed(2)} ms. When the cores are saturated (CPU cores of all parties + other ≈ ${machineCores()}), the expected /v2 ÷ direct is their inverse ratio: ${(cpuPerMiB('s3') / cpuPerMiB('v2')).toFixed(2)}.`
    : ''
  const pulls = [
    row(['client', 'run', 'path', 'MiB/s', 'seconds', 'CPU cores: server / s3rver / bench / other', 'CPU ms per MiB: server / s3rver / bench', 'page faults per MiB: server / s3rver / bench']),
    row(['---', '---:', '---', '---:', '---:', '---', '---', '---']),
    ...r.pulls.map((p) =>
      row([p.client, p.run, p.mode === 'v2' ? 'GET /v2/…/blobs/<digest>' : 'S3 GetObject (direct)', rate(p.bytes, p.seconds).toFixed(1), p.seconds.toFixed(2), cores(p.cores), msPerMiB(p.work, p.bytes), faultsPerMiB(p.work, p.bytes)]),
    ),
  ]
  const summary = [
    row(['client', 'blob MiB', '/v2 median MiB/s', 'direct S3 median MiB/s', '/v2 ÷ direct', 'target']),
    row(['---', '---:', '---:', '---:', '---:', '---']),
    ...summaries.map(({ client, v2, s3, ratio }) =>
      row([clientLabel(client), mib(r.blobBytes), v2.toFixed(1), s3.toFixed(1), ratio.toFixed(2), ratio >= PULL_TARGET ? `ok (>= ${PULL_TARGET})` : `BELOW ${PULL_TARGET}`]),
    ),
  ]
  const memory = [
    row(['concurrent /v2 pulls', 'MiB pulled', 'wall s', 'aggregate MiB/s', 'server RSS before MiB', 'server peak RSS MiB', 'peak − before MiB', 's3rver peak RSS MiB', 'samples', 'CPU cores: server / s3rver / bench / other', 'CPU ms per MiB: server / s3rver / bench', 'page faults per MiB: server / s3rver / bench']),
    row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---', '---']),
    ...r.memory.map((m) =>
      row([m.clients, mib(m.bytes), m.seconds.toFixed(2), rate(m.bytes, m.seconds).toFixed(1), mib(r.rssBaseline), mib(m.peakRss), mib(m.peakRss - r.rssBaseline), mib(m.s3rverPeakRss), m.samples, cores(m.cores), msPerMiB(m.work, m.bytes), faultsPerMiB(m.work, m.bytes)]),
    ),
  ]
  const flatLine =
    single && many
      ? `Peak with ${many.clients} pulls − peak with 1 pull: ${mib(many.peakRss - single.peakRss)} MiB (${many.clients}× the bytes in flight); target ≤ ${mib(FLAT_SLACK_BYTES)} MiB: ${flat ? 'ok (flat)' : 'NOT FLAT'}. Server VmHWM before the pulls (start-up and import included): ${mib(r.hwmBefore)} MiB.`
      : ''
  const push = r.push
    ? [
        row(['way in', 'seconds', 'MiB/s of archive', 'bytes sent', 'MiB sent', 'client CPU s', 'server cores', 'other cores']),
        row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
        row(['skopeo copy docker-archive → /v2 (gzip layers)', r.push.skopeoSeconds.toFixed(2), rate(r.push.archiveBytes, r.push.skopeoSeconds).toFixed(1), r.push.skopeoWireBytes, mib(r.push.skopeoWireBytes), r.push.skopeoCpuSeconds.toFixed(2), r.push.serverCoresSkopeo.toFixed(2), r.push.otherCoresSkopeo.toFixed(2)]),
        row(['POST /api/uploads (raw archive)', r.push.uploadSeconds.toFixed(2), rate(r.push.archiveBytes, r.push.uploadSeconds).toFixed(1), r.push.archiveBytes, mib(r.push.archiveBytes), '–', r.push.serverCoresUpload.toFixed(2), r.push.otherCoresUpload.toFixed(2)]),
        '',
        `Archive ${mib(r.push.archiveBytes)} MiB, ${r.push.layers} layers; skopeo sent ${mib(r.push.skopeoLayerBytes)} MiB of gzip layers (${((r.push.skopeoLayerBytes / r.push.archiveBytes) * 100).toFixed(1)} % of the archive) plus config and manifest. skopeo ÷ upload time: ${(r.push.skopeoSeconds / r.push.uploadSeconds).toFixed(2)}.`,
      ]
    : ['(skipped)']

  return [
    '# Stowage registry benchmark',
    '',
    `${r.started.toISOString()} — ${r.machine}; 1-min load average at start ${r.loadAverage.toFixed(2)}.`,
    '',
    `### 1. Blob pull: /v2 vs direct S3 GetObject (same object ${r.blobDigest.slice(0, 19)}…, same s3rver, alternating)`,
    '',
    ...summary,
    '',
    ...(model ? [model, ''] : []),
    ...pulls,
    '',
    '### 2. Server memory while pulling the same blob (the node process running the compiled server.ts)',
    '',
    ...memory,
    '',
    flatLine,
    '',
    '### 3. Getting the same image in: skopeo push vs console upload (each into a fresh Stowage)',
    '',
    ...push,
    ...(r.notes.length ? ['', ...r.notes.map((n) => `- ${n}`)] : []),
    '',
    'Column meanings: bench/README.md (Registry benchmark).',
    '',
  ].join('\n')
}
