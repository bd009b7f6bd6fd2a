'use client'
// "Download as docker save": asks the server first (HEAD) and saves only an archive; an error answer is
// shown here, never saved as a file. For a multi-platform tag the user picks one platform or all.
import { useState } from 'react'
import { failureFrom } from '../api-client'
import { api } from '../routes'

export function ArchiveDownload({ repository, tag, platforms }: { repository: string; tag: string; platforms: string[] }) {
  const [platform, setPlatform] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const url = api.archive(repository, tag, platform || null)
  const download = async (event: React.MouseEvent) => {
    event.preventDefault() // the link is followed only once the server answered with an archive
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      const head = await fetch(url, { method: 'HEAD', cache: 'no-store' })
      if (!head.ok || !head.headers.get('content-type')?.includes('application/x-tar')) {
        // HEAD answers carry no body: ask again for the error message (a small JSON document)
        const res = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } })
        const failure = failureFrom(res.status, res.ok ? '' : await res.text())
        if (res.ok) res.body?.cancel()
        setError(`${failure.message} (${failure.code})`)
        return
      }
      const link = document.createElement('a')
      link.href = url
      link.download = ''
      document.body.appendChild(link)
      link.click()
      link.remove()
    } catch {
      setError('the server cannot be reached; check your connection and try again (NETWORK)')
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="flex max-w-full flex-col items-start gap-1 sm:items-end">
      <div className="flex max-w-full flex-wrap items-center gap-2">
        {platforms.length > 0 && (
          <label className="flex items-center gap-1.5 text-xs text-slate-600">
            <span className="sr-only sm:not-sr-only">Platform</span>
            <select
              className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-800"
              value={platform}
              onChange={(e) => setPlatform(e.target.value)}
              data-testid="download-platform"
              aria-label="Platform to download"
            >
              <option value="">All platforms</option>
              {platforms.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
        )}
        <a href={url} download onClick={download} aria-disabled={busy} className="btn-secondary" data-testid="download-archive">
          <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
            <path d="M10 3v10m0 0-4-4m4 4 4-4M3 13v2a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-2" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          {busy ? 'Preparing…' : 'Download as docker save'}
        </a>
      </div>
      {error && (
        <p role="alert" className="max-w-sm text-xs text-red-700 sm:text-right" data-testid="download-error">
          Download failed: {error}
        </p>
      )}
    </div>
  )
}
