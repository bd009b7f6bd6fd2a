'use client'
// Copy-ready commands that fetch this image from this registry.
import { CopyButton } from '../copy-button'
import { useRegistryHost } from '../use-registry-host'
import { pullCommands } from '@/lib/format'

export function PullCommands({ repository, tag, digest }: { repository: string; tag: string; digest: string }) {
  const registry = useRegistryHost()
  if (!registry) return null
  const commands = pullCommands({ ...registry, repository, tag, digest })
  return (
    <div className="space-y-2" data-testid="pull-commands">
      {commands.map((c) => (
        <div key={c.label} className="flex items-center gap-3">
          <span className="w-20 shrink-0 text-xs font-medium text-slate-500">{c.label}</span>
          <div className="flex min-w-0 flex-1 items-center gap-2 rounded-lg bg-slate-900 py-1.5 pr-1.5 pl-3">
            <code className="min-w-0 flex-1 overflow-x-auto font-mono text-xs whitespace-nowrap text-slate-100">{c.command}</code>
            <CopyButton text={c.command} className="border-slate-700 bg-slate-800 text-slate-200 hover:border-slate-500 hover:text-white" />
          </div>
        </div>
      ))}
      {!registry.secure && !isLoopback(registry.host) && (
        <p className="pt-1 text-xs text-slate-500">
          This registry is served over plain HTTP: Docker pulls from it only when{' '}
          <code className="rounded bg-slate-100 px-1 font-mono">{registry.host}</code> is listed in <code className="rounded bg-slate-100 px-1 font-mono">insecure-registries</code> of
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
