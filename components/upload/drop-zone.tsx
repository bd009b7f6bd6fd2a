'use client'
// Where archives are dropped or picked. Any file is accepted: the server recognizes the format by its
// content and explains what is wrong with a file that is not an image archive.
import { useRef, useState } from 'react'

export function DropZone({ onFiles }: { onFiles: (files: File[]) => void }) {
  const input = useRef<HTMLInputElement>(null)
  const [over, setOver] = useState(false)
  const depth = useRef(0) // dragenter/leave fire for every child element

  return (
    <div
      role="button"
      tabIndex={0}
      aria-label="Choose image archives to upload"
      onClick={() => input.current?.click()}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault()
          input.current?.click()
        }
      }}
      onDragEnter={(e) => {
        e.preventDefault()
        depth.current++
        setOver(true)
      }}
      onDragOver={(e) => {
        e.preventDefault()
        e.dataTransfer.dropEffect = 'copy'
      }}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1)
        if (depth.current === 0) setOver(false)
      }}
      onDrop={(e) => {
        e.preventDefault()
        depth.current = 0
        setOver(false)
        const files = Array.from(e.dataTransfer.files)
        if (files.length) onFiles(files)
      }}
      className={`flex cursor-pointer flex-col items-center justify-center rounded-xl border-2 border-dashed px-6 py-12 text-center transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 ${
        over ? 'border-indigo-500 bg-indigo-50' : 'border-slate-300 bg-white hover:border-indigo-400 hover:bg-slate-50'
      }`}
      data-testid="drop-zone"
    >
      <div className={`mb-4 flex h-12 w-12 items-center justify-center rounded-full ${over ? 'bg-indigo-100 text-indigo-700' : 'bg-slate-100 text-slate-500'}`}>
        <svg viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="1.7" aria-hidden="true">
          <path d="M12 16V4m0 0L7.5 8.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </div>
      <p className="text-sm font-medium text-slate-900">{over ? 'Drop to add' : 'Drop image archives here, or click to choose'}</p>
      <p className="mt-1 text-xs text-slate-500">
        <code className="font-mono">.tar</code> from <code className="font-mono">docker save</code> / <code className="font-mono">podman save</code> /{' '}
        <code className="font-mono">skopeo copy</code>, or the same gzipped (<code className="font-mono">.tar.gz</code>). Several at once are uploaded one after
        another.
      </p>
      <input
        ref={input}
        type="file"
        multiple
        accept=".tar,.tar.gz,.tgz,application/x-tar,application/gzip"
        className="sr-only"
        // The zone itself is the one control (role=button, keyboard-operable): the hidden input must not
        // be a second, invisible tab stop.
        tabIndex={-1}
        aria-hidden="true"
        data-testid="file-input"
        onClick={(e) => e.stopPropagation()}
        onChange={(e) => {
          const files = Array.from(e.target.files ?? [])
          e.target.value = '' // choosing the same file again must fire change again
          if (files.length) onFiles(files)
        }}
      />
    </div>
  )
}
