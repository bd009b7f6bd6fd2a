'use client'
// The "Files" section of an image page: the whole image (its layers merged, each file with the layer it
// comes from) or one layer at a time, chosen in a select or with a layer's "Browse files" button.
// The browser is keyed by its source: another layer starts at its root, not in the last folder.
import { useEffect, useRef, useState } from 'react'
import type { ImageRef } from '../routes'
import { FileBrowser } from './file-browser'

/** 'image' or a layer's position */
export type FilesChoice = 'image' | number

type LayerRef = { position: number; digest: string }

/** `layers`: null when the page does not know them; the whole-image listing then names them. */
export function ImageFiles({ image, layers: known, choice, onChoose, focusToken }: { image: ImageRef; layers: LayerRef[] | null; choice: FilesChoice; onChoose: (c: FilesChoice) => void; focusToken: number }) {
  const section = useRef<HTMLElement>(null)
  const [learned, setLearned] = useState<LayerRef[]>([])
  const layers = known ?? learned
  // a layer's "Browse files" button brings the browser into view and moves the focus there
  useEffect(() => {
    if (focusToken === 0) return
    section.current?.scrollIntoView({ block: 'start' })
    section.current?.querySelector<HTMLSelectElement>('select')?.focus()
  }, [focusToken])
  const layer = choice === 'image' ? null : layers.find((l) => l.position === choice)
  return (
    <section ref={section} className="card min-w-0 scroll-mt-20" aria-labelledby="files-title" data-testid="image-files">
      <header className="flex flex-col gap-2 border-b border-slate-100 px-5 py-3.5 sm:flex-row sm:items-center sm:justify-between">
        <div className="min-w-0">
          <h2 id="files-title" className="text-sm font-semibold text-slate-900">
            Files
          </h2>
          <p className="mt-0.5 text-xs text-slate-600">
            {layer
              ? 'What this layer adds, changes or deletes (whiteouts delete a file of the layers below; an opaque directory hides their whole directory).'
              : 'The filesystem a container starts with: the layers applied in order, each file from the last layer that wrote it.'}
          </p>
        </div>
        <label className="flex shrink-0 items-center gap-2 text-sm text-slate-700">
          Show
          <select className="input w-auto py-1.5" value={String(choice)} onChange={(e) => onChoose(e.target.value === 'image' ? 'image' : Number(e.target.value))} data-testid="files-choice">
            <option value="image">Whole image</option>
            {layers.map((l) => (
              <option key={l.position} value={l.position}>
                {/* no digest here: the layer list above shows each digest once */}
                Layer {l.position + 1}
              </option>
            ))}
          </select>
        </label>
      </header>
      {layer ? (
        <FileBrowser key={layer.digest} source={{ kind: 'layer', digest: layer.digest }} label={`layer ${layer.position + 1}`} />
      ) : (
        <FileBrowser key="image" source={{ kind: 'image', image }} label="whole image" onLayers={known ? undefined : setLearned} />
      )}
    </section>
  )
}
