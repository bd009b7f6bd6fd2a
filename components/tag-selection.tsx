'use client'
// "Download selected": tags ticked on repository pages go into one `docker load`-able archive
// (POST /api/archives). The selection is kept for the browser tab (sessionStorage), so tags of several
// repositories can be gathered before downloading. The page asks the server first (?dryRun=true) and
// shows its refusal; only then does a form post into a hidden frame let the browser save the streamed
// archive itself (fetch would have to hold the whole archive in memory). A refusal that comes anyway
// loads that frame, which is how the page learns of it.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react'
import { failureFrom } from './api-client'
import { formatBytes } from '@/lib/format'

export type SelectedTag = { repository: string; tag: string; /** a multi-platform tag's platforms, else [] */ platforms: string[]; platform: string | null }

type Selection = {
  items: SelectedTag[]
  has: (repository: string, tag: string) => boolean
  toggle: (item: Omit<SelectedTag, 'platform'>) => void
  setPlatform: (repository: string, tag: string, platform: string) => void
  remove: (repository: string, tag: string) => void
  clear: () => void
}

const STORAGE_KEY = 'stowage.archive-selection'
const SelectionContext = createContext<Selection | null>(null)
const same = (a: { repository: string; tag: string }, repository: string, tag: string) => a.repository === repository && a.tag === tag

function load(): SelectedTag[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]')
    return Array.isArray(v) ? v.filter((i) => typeof i?.repository === 'string' && typeof i?.tag === 'string' && Array.isArray(i?.platforms)) : []
  } catch {
    return []
  }
}

export function TagSelectionProvider({ children }: { children: React.ReactNode }) {
  const [items, setItems] = useState<SelectedTag[]>([])
  const loaded = useRef(false)
  useEffect(() => {
    setItems(load())
    loaded.current = true
  }, [])
  useEffect(() => {
    if (loaded.current) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(items))
  }, [items])

  const toggle = useCallback((item: Omit<SelectedTag, 'platform'>) => {
    setItems((list) => (list.some((i) => same(i, item.repository, item.tag)) ? list.filter((i) => !same(i, item.repository, item.tag)) : [...list, { ...item, platform: item.platforms[0] ?? null }]))
  }, [])
  const value = useMemo<Selection>(
    () => ({
      items,
      has: (repository, tag) => items.some((i) => same(i, repository, tag)),
      toggle,
      setPlatform: (repository, tag, platform) => setItems((list) => list.map((i) => (same(i, repository, tag) ? { ...i, platform } : i))),
      remove: (repository, tag) => setItems((list) => list.filter((i) => !same(i, repository, tag))),
      clear: () => setItems([]),
    }),
    [items, toggle],
  )
  return <SelectionContext.Provider value={value}>{children}</SelectionContext.Provider>
}

function useSelection() {
  const s = useContext(SelectionContext)
  if (!s) throw new Error('TagSelectionProvider is missing')
  return s
}

/** The checkbox of one tag row. */
export function TagSelectBox({ repository, tag, platforms }: { repository: string; tag: string; platforms: string[] }) {
  const s = useSelection()
  return (
    <input
      type="checkbox"
      className="h-4 w-4 rounded border-slate-300 accent-indigo-600"
      checked={s.has(repository, tag)}
      onChange={() => s.toggle({ repository, tag, platforms })}
      aria-label={`Select ${repository}:${tag} for download`}
      data-testid="select-tag"
    />
  )
}

/** The request body: a multi-platform tag with its chosen platform. */
const requestOf = (items: SelectedTag[], gzip: boolean) => ({
  images: items.map((i) => (i.platforms.length > 0 && i.platform ? { image: `${i.repository}:${i.tag}`, platform: i.platform } : `${i.repository}:${i.tag}`)),
  compress: gzip ? 'gzip' : null,
})

const FRAME = 'stowage-archive-download'

/** What is selected (of every repository), the gzip toggle and "Download selected (N)". */
export function SelectedDownloadBar() {
  const s = useSelection()
  const [gzip, setGzip] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [started, setStarted] = useState<string | null>(null)
  const lastBody = useRef<string>('')

  const ask = async (body: string) => {
    const res = await fetch('/api/archives?dryRun=true', { method: 'POST', cache: 'no-store', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body })
    const text = await res.text()
    if (!res.ok) {
      const f = failureFrom(res.status, text)
      throw new Error(`${f.message} (${f.code})`)
    }
    return JSON.parse(text) as { size: number; filename: string; images: unknown[] }
  }

  const download = async () => {
    if (busy || !s.items.length) return
    setBusy(true)
    setError(null)
    setStarted(null)
    const body = JSON.stringify(requestOf(s.items, gzip))
    try {
      const plan = await ask(body)
      lastBody.current = body
      const form = document.createElement('form')
      form.method = 'POST'
      form.action = '/api/archives'
      form.target = FRAME
      form.hidden = true
      const field = document.createElement('input')
      field.type = 'hidden'
      field.name = 'request'
      field.value = body
      form.appendChild(field)
      document.body.appendChild(form)
      form.submit()
      form.remove()
      setStarted(`${plan.filename}: ${plan.images.length} ${plan.images.length === 1 ? 'image' : 'images'}, ${formatBytes(plan.size)}${gzip ? ' before compression' : ''}`)
    } catch (e) {
      setError(e instanceof TypeError ? 'the server cannot be reached; check your connection and try again (NETWORK)' : (e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  // the frame loads only when the answer is not a download: a refusal, as JSON (the server lets our own
  // page frame it); if it cannot be read, the check tells what is wrong now
  const refused = async (event: React.SyntheticEvent<HTMLIFrameElement>) => {
    if (!lastBody.current) return
    setStarted(null)
    let text = ''
    try {
      text = event.currentTarget.contentDocument?.body?.textContent ?? ''
    } catch {
      // not readable (another origin's error page)
    }
    const f = failureFrom(0, text)
    if (text && f.code !== 'HTTP_0') return setError(`${f.message} (${f.code})`)
    try {
      await ask(lastBody.current)
      setError('the server refused the download; try again')
    } catch (e) {
      setError((e as Error).message)
    }
  }

  // the frame stays mounted while the selection changes: a download may be arriving in it
  return (
    <>
      <iframe name={FRAME} title="archive download" hidden onLoad={refused} />
      {s.items.length > 0 && (
        <div className="card mb-4 p-4" data-testid="selection-bar">
          <div className="flex flex-wrap items-center justify-between gap-3">
            <div className="min-w-0 text-sm text-slate-700">
              <span className="font-medium">{s.items.length} selected</span> for one <code className="text-xs">docker load</code> archive
            </div>
            <div className="flex flex-wrap items-center gap-3">
              <label className="flex items-center gap-1.5 text-sm text-slate-700">
                <input type="checkbox" className="h-4 w-4 accent-indigo-600" checked={gzip} onChange={(e) => setGzip(e.target.checked)} data-testid="selection-gzip" />
                gzip
              </label>
              <button type="button" className="btn-secondary" onClick={s.clear}>
                Clear
              </button>
              <button type="button" className="btn-primary" onClick={download} disabled={busy} data-testid="download-selected">
                {busy ? 'Preparing…' : `Download selected (${s.items.length})`}
              </button>
            </div>
          </div>
          <ul className="mt-3 flex flex-wrap gap-2 text-xs">
            {s.items.map((i) => (
              <li key={`${i.repository}:${i.tag}`} className="flex items-center gap-1 rounded-md border border-slate-200 bg-slate-50 py-0.5 pr-0.5 pl-2 font-mono" data-testid="selected-tag">
                <span className="break-all">
                  {i.repository}:{i.tag}
                </span>
                {i.platforms.length > 0 && (
                  <select
                    className="rounded border border-slate-300 bg-white px-1 py-0.5 text-xs"
                    value={i.platform ?? ''}
                    onChange={(e) => s.setPlatform(i.repository, i.tag, e.target.value)}
                    aria-label={`Platform of ${i.repository}:${i.tag}`}
                  >
                    {i.platforms.map((p) => (
                      <option key={p} value={p}>
                        {p}
                      </option>
                    ))}
                  </select>
                )}
                <button type="button" className="rounded px-1 text-slate-500 hover:text-red-600" onClick={() => s.remove(i.repository, i.tag)} aria-label={`Remove ${i.repository}:${i.tag}`}>
                  ×
                </button>
              </li>
            ))}
          </ul>
          {started && (
            <p className="mt-2 text-xs text-slate-600" role="status" data-testid="download-started">
              Download started — {started}
            </p>
          )}
          {error && (
            <p role="alert" className="mt-2 text-xs text-red-700" data-testid="selection-error">
              Download failed: {error}
            </p>
          )}
        </div>
      )}
    </>
  )
}
