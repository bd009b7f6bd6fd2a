'use client'
// Browses the files of one layer, or of the whole image (the layers merged: contract-13.md), a page of
// 200 entries at a time: the server pages a 200,000-file layer, so a page costs the same in any layer.
// Breadcrumb path, sort by name or size, path search, the directory's totals. While the server still
// indexes, "Indexing…" is shown and the listing is asked again every 2 s; a layer that is not a tar is
// said so plainly (the image is fine).
import { useEffect, useId, useState, type FormEvent } from 'react'
import { api, type ImageRef } from '../routes'
import { Bytes } from '../sizes'
import { Spinner } from '../page-states'
import { MessageText } from '../message-text'
import { useApiPoll } from './use-api-poll'
import { FileRow, rowGrid } from './file-row'
import { pathSteps, type Building, type Listing, type SearchResult } from './file-types'

export const PAGE_SIZE = 200

export type FileSource = { kind: 'layer'; digest: string } | { kind: 'image'; image: ImageRef }

type View = { path: string; page: number; sort: 'name' | 'size'; q: string }

function Crumbs({ path, onOpen, root }: { path: string; onOpen: (p: string) => void; root: string }) {
  const steps = pathSteps(path)
  return (
    <nav aria-label="Folder" className="flex min-w-0 flex-wrap items-center gap-1 font-mono text-sm" data-testid="file-crumbs">
      {steps.length === 0 ? (
        <span aria-current="page" className="text-slate-900">
          / <span className="font-sans text-xs text-slate-600">({root})</span>
        </span>
      ) : (
        <button type="button" onClick={() => onOpen('')} className="text-indigo-700 hover:underline" aria-label={`${root}: top folder`}>
          /
        </button>
      )}
      {steps.map((s, i) => (
        <span key={s.path} className="inline-flex min-w-0 items-center gap-1">
          {i > 0 && <span aria-hidden="true" className="text-slate-600">/</span>}
          {i === steps.length - 1 ? (
            <span aria-current="page" className="break-all text-slate-900">
              {s.name}
            </span>
          ) : (
            <button type="button" onClick={() => onOpen(s.path)} className="break-all text-indigo-700 hover:underline">
              {s.name}
            </button>
          )}
        </span>
      ))}
    </nav>
  )
}

function Waiting({ body, layer }: { body: Building; layer: boolean }) {
  const layers = body.layers ?? []
  const ready = layers.filter((l) => l.state === 'ready' || l.state === 'not-a-tar').length
  return (
    <div role="status" className="flex items-center gap-3 px-4 py-8 text-sm text-slate-700" data-testid="indexing">
      <Spinner className="h-5 w-5" />
      {layer ? 'Indexing this layer…' : `Indexing the image's layers… ${layers.length ? `(${ready} of ${layers.length} ready)` : ''}`}
      <span className="text-xs text-slate-600">(this page asks again every 2 s)</span>
    </div>
  )
}

/** `onLayers`: the whole-image listing names the image's layers (for pages that do not know them). */
export function FileBrowser({ source, label, onLayers }: { source: FileSource; label: string; onLayers?: (layers: NonNullable<Listing['layers']>) => void }) {
  const [view, setView] = useState<View>({ path: '', page: 1, sort: 'name', q: '' })
  const [draft, setDraft] = useState('')
  const inputId = useId()
  const params = { path: view.path, page: view.page, pageSize: PAGE_SIZE, sort: view.sort, q: view.q }
  const url = source.kind === 'layer' ? api.layerFiles(source.digest, params) : api.imageFiles(source.image, params)
  const answer = useApiPoll<Listing | SearchResult, Building>(url)
  const layerDigest = source.kind === 'layer' ? source.digest : null

  const open = (path: string) => {
    setDraft('')
    setView((v) => ({ ...v, path, page: 1, q: '' }))
  }
  const search = (e: FormEvent) => {
    e.preventDefault()
    setView((v) => ({ ...v, q: draft.trim(), page: 1 }))
  }
  const body = answer.state === 'ready' ? answer.body : null
  const searching = !!body && 'query' in body
  const layers = body && 'layers' in body ? body.layers : undefined
  useEffect(() => {
    if (layers && onLayers) onLayers(layers)
  }, [layers, onLayers])

  return (
    <div className="min-w-0" data-testid="file-browser" data-source={source.kind}>
      <div className="flex flex-col gap-3 border-b border-slate-100 px-4 py-3 md:flex-row md:items-center md:justify-between">
        {view.q ? (
          <p className="min-w-0 text-sm break-all text-slate-700">
            Paths containing <span className="font-mono text-slate-900">“{view.q}”</span>{' '}
            <button type="button" className="text-indigo-700 hover:underline" onClick={() => open(view.path)}>
              back to the folder
            </button>
          </p>
        ) : (
          <Crumbs path={view.path} onOpen={open} root={label} />
        )}
        <div className="flex flex-wrap items-center gap-2">
          <form role="search" onSubmit={search} className="flex min-w-0 flex-1 basis-full items-center gap-2 sm:basis-auto">
            <label className="sr-only" htmlFor={inputId}>
              Search paths in {label}
            </label>
            <input id={inputId} type="search" className="input min-w-0 py-1.5 font-mono" placeholder="search paths, e.g. libssl" value={draft} onChange={(e) => setDraft(e.target.value)} />
            <button type="submit" className="btn-secondary px-3 py-1.5">
              Search
            </button>
          </form>
          <div role="group" aria-label="Sort" className="flex overflow-hidden rounded-lg border border-slate-300 text-sm">
            {(['name', 'size'] as const).map((s) => (
              <button key={s} type="button" aria-pressed={view.sort === s} onClick={() => setView((v) => ({ ...v, sort: s, page: 1 }))} className={`px-3 py-1.5 ${view.sort === s ? 'bg-indigo-600 text-white' : 'bg-white text-slate-700 hover:bg-slate-50'}`}>
                {s === 'name' ? 'Name' : 'Size'}
              </button>
            ))}
          </div>
        </div>
      </div>

      {answer.state === 'loading' && (
        <div role="status" className="flex items-center gap-3 px-4 py-8 text-sm text-slate-600">
          <Spinner /> Loading files…
        </div>
      )}
      {answer.state === 'waiting' && <Waiting body={answer.body} layer={source.kind === 'layer'} />}
      {answer.state === 'failed' &&
        (answer.error.code === 'NOT_A_TAR' ? (
          <div className="px-4 py-6 text-sm" data-testid="not-a-tar">
            <p className="font-medium text-slate-900">This layer is not a tar archive</p>
            <p className="mt-1 text-slate-600">Its files cannot be listed; the image itself is stored and pulled as it is.</p>
          </div>
        ) : (
          <div role="alert" className="px-4 py-6 text-sm" data-testid="files-error">
            <p className="font-medium text-red-700">
              <MessageText text={answer.error.message} />
            </p>
            <p className="mt-1 font-mono text-xs text-slate-600">
              {answer.error.code}
              {answer.error.status ? ` · HTTP ${answer.error.status}` : ''}
            </p>
          </div>
        ))}

      {body && (
        <>
          <p className="px-4 pt-3 text-xs text-slate-600" data-testid="files-summary" aria-live="polite">
            {searching ? (
              <>
                {body.total} matching {body.total === 1 ? 'path' : 'paths'}
              </>
            ) : (
              <>
                {body.total} {body.total === 1 ? 'entry' : 'entries'} here · <span data-testid="folder-files">{(body as Listing).totals.files}</span> files,{' '}
                <span data-testid="folder-bytes">
                  <Bytes value={(body as Listing).totals.bytes} />
                </span>{' '}
                below this folder
              </>
            )}
            {body.incomplete && ' · incomplete: a layer that is not a tar counts as empty'}
          </p>
          <div className={`mt-2 hidden border-y border-slate-100 bg-slate-50 px-4 py-2 text-xs font-medium text-slate-600 ${rowGrid(!layerDigest)}`} aria-hidden="true">
            <span>Name</span>
            <span className="text-right">Size</span>
            <span>Mode</span>
            <span>Owner</span>
            <span>Modified</span>
            {!layerDigest && <span>Layer</span>}
            <span />
          </div>
          {body.entries.length === 0 ? (
            <p className="px-4 py-6 text-sm text-slate-600">{searching ? 'No path contains this text.' : 'This folder is empty.'}</p>
          ) : (
            <ul className="divide-y divide-slate-100" aria-label={searching ? 'Matching paths' : 'Files in this folder'}>
              {body.entries.map((e) => (
                <FileRow key={`${e.path}\u0000${e.type}`} entry={e} showPath={searching} layerDigest={layerDigest} onOpen={open} />
              ))}
            </ul>
          )}
          <Pager page={body.page} pageSize={body.pageSize} total={body.total} onPage={(page) => setView((v) => ({ ...v, page }))} />
        </>
      )}
    </div>
  )
}

function Pager({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize))
  if (pages <= 1) return null
  return (
    <nav aria-label="Pages of files" className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-100 px-4 py-3 text-sm text-slate-700">
      <p data-testid="files-page">
        {Math.min(total, (page - 1) * pageSize + 1)}–{Math.min(total, page * pageSize)} of {total} · page {page} of {pages}
      </p>
      <div className="flex gap-2">
        <button type="button" className="btn-secondary px-3 py-1.5" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          ← Previous
        </button>
        <button type="button" className="btn-secondary px-3 py-1.5" disabled={page >= pages} onClick={() => onPage(page + 1)}>
          Next →
        </button>
      </div>
    </nav>
  )
}
