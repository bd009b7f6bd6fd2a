// The image configuration: how a container of it starts, and its metadata.
import type { ReactNode } from 'react'
import type { TagDetail } from '../api-client'
import { formatCommand, formatDateTime } from '@/lib/format'

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid gap-1 py-2.5 sm:grid-cols-[8rem_1fr] sm:gap-4">
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="min-w-0 text-sm text-slate-900">{children}</dd>
    </div>
  )
}

const Mono = ({ children }: { children: ReactNode }) => <code className="font-mono text-xs break-all text-slate-800">{children}</code>
const None = () => <span className="text-slate-600">—</span>

export function ConfigPanel({ detail }: { detail: TagDetail }) {
  const { config, platform } = detail
  const labels = Object.entries((config.labels ?? {}) as Record<string, unknown>)
  const entrypoint = formatCommand(config.entrypoint)
  const cmd = formatCommand(config.cmd)
  return (
    <dl className="divide-y divide-slate-100">
      <Row label="Platform">{[platform.os, platform.architecture, platform.variant].filter(Boolean).join('/') || <None />}</Row>
      <Row label="Entrypoint">{entrypoint ? <Mono>{entrypoint}</Mono> : <None />}</Row>
      <Row label="Command">{cmd ? <Mono>{cmd}</Mono> : <None />}</Row>
      <Row label="Working dir">{config.workingDir ? <Mono>{config.workingDir}</Mono> : <None />}</Row>
      <Row label="User">{config.user ? <Mono>{config.user}</Mono> : <span className="text-slate-600">root (default)</span>}</Row>
      <Row label="Ports">
        {config.exposedPorts.length ? (
          <div className="flex flex-wrap gap-1.5">
            {config.exposedPorts.map((p: string) => (
              <span key={p} className="rounded-md bg-slate-100 px-2 py-0.5 font-mono text-xs text-slate-700">
                {p}
              </span>
            ))}
          </div>
        ) : (
          <None />
        )}
      </Row>
      <Row label="Environment">
        {config.env.length ? (
          <ul className="space-y-1">
            {config.env.map((e: string, i: number) => (
              <li key={i}>
                <Mono>{e}</Mono>
              </li>
            ))}
          </ul>
        ) : (
          <None />
        )}
      </Row>
      <Row label="Labels">
        {labels.length ? (
          <ul className="space-y-1">
            {labels.map(([k, v]) => (
              <li key={k}>
                <Mono>
                  <span className="text-slate-600">{k}=</span>
                  {String(v)}
                </Mono>
              </li>
            ))}
          </ul>
        ) : (
          <None />
        )}
      </Row>
      <Row label="Created">{detail.created ? formatDateTime(detail.created) : <None />}</Row>
      <Row label="Manifest">
        <Mono>{detail.digest}</Mono>
      </Row>
      <Row label="Config">{detail.configDigest ? <Mono>{detail.configDigest}</Mono> : <None />}</Row>
      <Row label="Media type">
        <Mono>{detail.mediaType}</Mono>
      </Row>
    </dl>
  )
}
