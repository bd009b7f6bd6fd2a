'use client'
// A new access token's secret, shown exactly once (the server keeps only its hash), with a copy
// button and the docker login command that uses it.
import { CopyButton } from '../copy-button'
import { useRegistryHost } from '../use-registry-host'

export function TokenSecret({ secret, user, onDone }: { secret: string; user: string; onDone: () => void }) {
  const registry = useRegistryHost()
  const login = `docker login ${registry?.host ?? 'HOST'} -u ${user} --password-stdin`
  return (
    <div role="status" data-testid="token-secret" className="space-y-3 rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-sm text-emerald-950">
      <p className="font-semibold">Copy this token now: you won&apos;t see it again.</p>
      <p>Stowage keeps only a hash of it. If you lose it, revoke it and create a new one.</p>
      <div className="flex min-w-0 items-center gap-2 rounded-md border border-emerald-200 bg-white py-1 pr-1 pl-3">
        <code data-testid="token-secret-value" className="min-w-0 flex-1 font-mono text-xs break-all text-slate-900">
          {secret}
        </code>
        <CopyButton text={secret} label="Copy token" />
      </div>
      <div>
        <p className="mb-1">Sign in with docker (paste the token when asked, or pipe it in):</p>
        <div className="flex min-w-0 items-center gap-2 rounded-md bg-slate-900 py-1 pr-1 pl-3">
          <code data-testid="docker-login-command" className="min-w-0 flex-1 font-mono text-xs break-words text-slate-100">
            {login}
          </code>
          <CopyButton text={login} label="Copy command" />
        </div>
        <p className="mt-1 text-xs">The same works with podman login and skopeo login; scripts can send it as Authorization: Bearer to the API.</p>
      </div>
      <button type="button" className="btn-secondary" onClick={onDone}>
        I have copied it
      </button>
    </div>
  )
}
