// One row of the file browser: name (a directory opens on click), size (a directory's files and bytes
// below it), `ls -l` mode, uid:gid, mtime, the layer it comes from (whole-image view) and a Download
// link for regular files. Stacked on a phone, a grid row from `sm` up (the header is file-browser.tsx's).
import { Bytes } from '../sizes'
import { api } from '../routes'
import { formatDateTime } from '@/lib/format'
import { directoryBytes, downloadable, modeString, type FileEntry } from './file-types'

// the whole-image view has one column more: the layer each entry comes from
export const rowGrid = (merged: boolean) =>
  merged
    ? 'sm:grid sm:grid-cols-[minmax(0,1fr)_7rem_6.5rem_4.5rem_9.5rem_4rem_5rem] sm:items-center sm:gap-3'
    : 'sm:grid sm:grid-cols-[minmax(0,1fr)_7rem_6.5rem_4.5rem_9.5rem_5rem] sm:items-center sm:gap-3'

const noHeader = (e: FileEntry) => e.type === 'whiteout' || e.type === 'opaque' || !!e.implicit || e.mode === undefined

const TYPE_LABEL: Record<string, string> = { symlink: 'symlink', hardlink: 'hard link', char: 'char device', block: 'block device', fifo: 'fifo' }

function Marker({ children, tone }: { children: string; tone: 'amber' | 'slate' }) {
  const colors = tone === 'amber' ? 'bg-amber-100 text-amber-900' : 'bg-slate-100 text-slate-700'
  return <span className={`rounded px-1.5 py-0.5 text-[11px] font-medium ${colors}`}>{children}</span>
}

function Name({ entry, showPath, onOpen }: { entry: FileEntry; showPath: boolean; onOpen: (path: string) => void }) {
  const label = showPath ? entry.path : entry.name
  return (
    <div className="min-w-0">
      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
        {entry.type === 'dir' ? (
          <button type="button" onClick={() => onOpen(entry.path)} className="min-w-0 text-left font-medium break-all text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600" data-testid="open-dir">
            <svg viewBox="0 0 20 20" className="mr-1 inline h-4 w-4 -translate-y-px text-indigo-500" fill="currentColor" aria-hidden="true">
              <path d="M2 5.5A1.5 1.5 0 0 1 3.5 4h4l1.5 2h7.5A1.5 1.5 0 0 1 18 7.5v7a1.5 1.5 0 0 1-1.5 1.5h-13A1.5 1.5 0 0 1 2 14.5v-9Z" />
            </svg>
            {label}/
          </button>
        ) : (
          <span className="min-w-0 font-mono text-[13px] break-all text-slate-900">{label}</span>
        )}
        {TYPE_LABEL[entry.type] && <Marker tone="slate">{TYPE_LABEL[entry.type]}</Marker>}
        {entry.type === 'whiteout' && <Marker tone="amber">whiteout</Marker>}
        {entry.type === 'opaque' && <Marker tone="amber">opaque directory</Marker>}
      </div>
      {(entry.type === 'symlink' || entry.type === 'hardlink') && entry.linkTarget !== undefined && (
        <div className="mt-0.5 font-mono text-xs break-all text-slate-600" data-testid="link-target">
          → {entry.linkTarget}
        </div>
      )}
      {entry.type === 'whiteout' && <div className="mt-0.5 text-xs break-all text-amber-800">deletes {entry.linkTarget ?? 'a file'} of the layers below</div>}
      {entry.type === 'opaque' && <div className="mt-0.5 text-xs text-amber-800">hides everything the layers below have in this directory</div>}
      {(entry.note || entry.duplicates) && (
        <div className="mt-0.5 text-xs text-slate-600">
          {[entry.note, entry.duplicates ? `${entry.duplicates} earlier ${entry.duplicates === 1 ? 'copy' : 'copies'} in this layer` : null].filter(Boolean).join(' · ')}
        </div>
      )}
    </div>
  )
}

/** A labelled value: the label shows only while the row is stacked (the grid has a header). */
function Cell({ label, children, className = '' }: { label: string; children: React.ReactNode; className?: string }) {
  return (
    <div className={`flex gap-1.5 text-xs text-slate-700 sm:block ${className}`}>
      <span className="text-slate-600 sm:sr-only">{label}</span>
      {children}
    </div>
  )
}

/** `layerDigest`: the layer being browsed; null in the whole-image view (each entry names its layer). */
export function FileRow({ entry, showPath, layerDigest, onOpen }: { entry: FileEntry; showPath: boolean; layerDigest: string | null; onOpen: (path: string) => void }) {
  const isDir = entry.type === 'dir'
  const merged = layerDigest === null
  const from = layerDigest ?? entry.layerDigest
  return (
    <li className={`px-4 py-2.5 ${rowGrid(merged)}`} data-testid="file-row" data-name={entry.name} data-path={entry.path} data-type={entry.type} data-layer={entry.layer ?? ''}>
      <Name entry={entry} showPath={showPath} onOpen={onOpen} />
      <div className="mt-1 flex flex-wrap gap-x-4 gap-y-0.5 sm:contents">
        <Cell label="Size" className="sm:text-right">
          {isDir ? (
            <span data-testid="dir-totals">
              <Bytes value={directoryBytes(entry)} />
              <span className="text-slate-600"> · {entry.files ?? 0} {entry.files === 1 ? 'file' : 'files'}</span>
            </span>
          ) : entry.type === 'file' || entry.type === 'hardlink' ? (
            <Bytes value={entry.size} />
          ) : (
            <span className="text-slate-600">—</span>
          )}
        </Cell>
        <Cell label="Mode">
          {/* markers and implicit folders (no tar header of their own) have no mode or owner */}
          <span className="font-mono">{noHeader(entry) ? '—' : modeString(entry.type, entry.mode)}</span>
        </Cell>
        <Cell label="Owner">
          <span className="font-mono tabular-nums">{noHeader(entry) || entry.uid === undefined ? '—' : `${entry.uid}:${entry.gid}`}</span>
        </Cell>
        <Cell label="Modified">
          <span className="tabular-nums">{entry.mtime ? formatDateTime(entry.mtime * 1000) : '—'}</span>
        </Cell>
        {merged && (
          <Cell label="Layer">{entry.layer === undefined ? <span className="text-slate-600">—</span> : <span data-testid="entry-layer">layer {entry.layer + 1}</span>}</Cell>
        )}
        <div className="text-xs sm:text-right">
          {downloadable(entry) && from ? (
            <a href={api.layerFile(from, entry.path)} download={entry.name} className="font-medium text-indigo-700 hover:underline" aria-label={`Download ${entry.path}`} data-testid="download">
              Download
            </a>
          ) : null}
        </div>
      </div>
    </li>
  )
}
