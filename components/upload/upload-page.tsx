'use client'
// The upload page: choose archives (optionally naming a single one), then follow each upload and
// see what it created.
import { useState } from 'react'
import { DropZone } from './drop-zone'
import { UploadCard } from './upload-card'
import { NameFields, nameDraftProblem, normalizedName, type NameDraft } from './name-fields'
import { isBusy, uploadQueue, useUploadQueue } from './upload-queue'
import { formatBytes } from '@/lib/format'

export function UploadPage() {
  const items = useUploadQueue()
  const [selected, setSelected] = useState<File[]>([])
  const [naming, setNaming] = useState(false)
  const [draft, setDraft] = useState<NameDraft>({ repository: '', tag: '' })

  const single = selected.length === 1
  const nameProblem = naming && single ? nameDraftProblem(draft) : null
  const start = () => {
    if (!selected.length || nameProblem) return
    uploadQueue.add(selected, naming && single ? normalizedName(draft) : null)
    setSelected([])
    setNaming(false)
    setDraft({ repository: '', tag: '' })
  }
  const finished = items.filter((i) => !isBusy(i)).length

  return (
    <div className="grid gap-8 lg:grid-cols-[1fr_20rem]">
      <div className="min-w-0 space-y-6">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Upload images</h1>
          <p className="mt-1 text-sm text-slate-500">
            Upload an image archive: it is unpacked on the server while it streams in, verified, and its tags appear in the registry.
          </p>
        </div>

        <DropZone onFiles={(files) => setSelected((s) => [...s, ...files])} />

        {selected.length > 0 && (
          <section className="card" aria-label="Selected files">
            <ul className="divide-y divide-slate-100">
              {selected.map((f, i) => (
                <li key={`${f.name}-${i}`} className="flex items-center gap-3 px-5 py-2.5 text-sm" data-testid="selected-file">
                  <svg viewBox="0 0 20 20" className="h-4 w-4 shrink-0 text-slate-400" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
                    <path d="M5 2.5h6.5L15 6v11.5H5z M11.5 2.5V6H15" strokeLinejoin="round" />
                  </svg>
                  <span className="min-w-0 flex-1 truncate font-medium text-slate-800">{f.name}</span>
                  <span className="text-xs text-slate-500 tabular-nums">{formatBytes(f.size)}</span>
                  <button
                    type="button"
                    className="rounded-md p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600"
                    aria-label={`Remove ${f.name}`}
                    onClick={() => setSelected((s) => s.filter((_, j) => j !== i))}
                  >
                    <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
                      <path d="m5.5 5.5 9 9m0-9-9 9" strokeLinecap="round" />
                    </svg>
                  </button>
                </li>
              ))}
            </ul>
            <div className="space-y-3 border-t border-slate-100 bg-slate-50/60 px-5 py-4">
              <label className={`flex items-center gap-2 text-sm ${single ? 'text-slate-700' : 'text-slate-400'}`}>
                <input
                  type="checkbox"
                  className="h-4 w-4 rounded border-slate-300 accent-indigo-600"
                  checked={naming && single}
                  disabled={!single}
                  onChange={(e) => setNaming(e.target.checked)}
                />
                Name as… <span className="text-xs text-slate-500">(optional: store the image under this repository:tag instead of the names in the archive)</span>
              </label>
              {!single && <p className="text-xs text-slate-500">Naming is possible when a single archive is selected.</p>}
              {naming && single && <NameFields idPrefix="name-as" value={draft} onChange={setDraft} showProblem={!!draft.repository || !!draft.tag} />}
              <div className="flex items-center gap-3 pt-1">
                <button type="button" className="btn-primary" onClick={start} disabled={!!nameProblem}>
                  Upload {selected.length === 1 ? '1 file' : `${selected.length} files`}
                </button>
                <button type="button" className="btn-secondary" onClick={() => setSelected([])}>
                  Clear
                </button>
                <span className="ml-auto text-xs text-slate-500">{formatBytes(selected.reduce((n, f) => n + f.size, 0))} in total</span>
              </div>
            </div>
          </section>
        )}

        {items.length > 0 && (
          <section aria-labelledby="uploads-title">
            <div className="mb-3 flex items-center justify-between">
              <h2 id="uploads-title" className="text-sm font-semibold text-slate-900">
                Uploads
              </h2>
              {finished > 0 && (
                <button type="button" className="text-xs font-medium text-slate-500 hover:text-slate-800" onClick={() => uploadQueue.clearFinished()}>
                  Clear finished
                </button>
              )}
            </div>
            <ul className="space-y-3">
              {items.map((item) => (
                <UploadCard key={item.id} item={item} />
              ))}
            </ul>
          </section>
        )}
      </div>

      <aside className="space-y-4 text-sm text-slate-600">
        <div className="card p-5">
          <h2 className="mb-3 font-semibold text-slate-900">Make an archive</h2>
          <ul className="space-y-3">
            {[
              ['Docker', 'docker save -o app.tar team/app:1.0'],
              ['Podman', 'podman save -o app.tar team/app:1.0'],
              ['skopeo', 'skopeo copy docker://… docker-archive:app.tar:team/app:1.0'],
              ['Smaller upload', 'docker save team/app:1.0 | gzip > app.tar.gz'],
            ].map(([label, cmd]) => (
              <li key={label}>
                <div className="mb-1 text-xs font-medium text-slate-500">{label}</div>
                <code className="block rounded-md bg-slate-900 px-2.5 py-1.5 font-mono text-[11px] break-words text-slate-100">{cmd}</code>
              </li>
            ))}
          </ul>
        </div>
        <div className="card p-5 text-xs leading-relaxed">
          <h2 className="mb-2 text-sm font-semibold text-slate-900">Good to know</h2>
          <p>An archive may hold several images; every repository:tag inside is created or updated.</p>
          <p className="mt-2">Nothing becomes visible until the whole archive is verified: a broken or interrupted upload changes nothing.</p>
          <p className="mt-2">Uploads continue while you browse other pages of the console.</p>
        </div>
      </aside>
    </div>
  )
}
