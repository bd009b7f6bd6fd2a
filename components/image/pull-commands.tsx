'use client'
// Copy-ready commands that fetch this image from this registry. Each command wraps (never hidden
// under its button, whatever the screen width).
import { CopyButton } from '../copy-button'
import { useRegistryHost } from '../use-registry-host'
import { pullCommands } from '@/lib/format'

export function PullCommands({ repository, tag, digest }: { repository: string; tag: string; digest: string }) {
  const registry = useRegistryHost()
  if (!registry) return null
  const commands = pullCommands({ ...registry, repository, tag, digest })
  return (
    <div className="space-y-3" data-testid="pull-commands">
      {commands.map((c) => (
        <div key={c.label} className="flex flex-col gap-1 sm:flex-row sm:items-center sm:gap-3">
          <span className="shrink-0 text-xs font-medium text-slate-600 sm:w-20">{c.label}</span>
          <div className="flex min-w-0 flex-1 items-start gap-2 rounded-lg bg-slate-900 py-1.5 pr-1.5 pl-3">
            <code className="min-w-0 flex-1 py-0.5 font-mono text-xs break-all whitespace-pre-wrap text-slate-100" data-testid="pull-command">
              {c.command}
            </code>
            <CopyButton text={c.command} className="border-slate-700 bg-slate-800 text-slate-200 hover:border-slate-500 hover:text-white" />
          </div>
        </div>
      ))}
      {!registry.secure && !isLoopback(registry.host) && (
        <p className="pt-1 text-xs text-slate-600">
          This registry is served over plain HTTP: Docker pulls from it only when{' '}
          <code className="rounded bg-slate-100 px-1 font-mono break-all">{registry.host}</code> is listed in <code className="rounded bg-slate-100 px-1 font-mono">insecure-registries</code> of
          /etc/docker/daemon.json.
        </p>
      )}
    </div>
  )
}

/** Docker trusts plain HTTP for loopback registries (127.0.0.0/8, localhost) without configuration. */
function isLoopback(host: string) {
  const name = host.replace(/:\d+$/, '')
  return name === 'localhost' || name.startsWith('127.') || name === '[::1]'
}
