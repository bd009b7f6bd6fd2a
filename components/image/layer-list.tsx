// The image's layers, once: each with its digest, the build step that made it (and the metadata steps
// before it), its share of the image and its three sizes. The share bar uses one scale for all layers
// and always carries its number, so a layer of 0.1 % next to one of 99 % stays readable.
import type { LayerDetail, TagDetail } from '../api-client'
import { Bytes, MeasuredBytes } from '../sizes'
import { CopyButton } from '../copy-button'
import { formatCreatedBy, formatDateTime, formatPercent, shortDigest } from '@/lib/format'
import { stepsPerLayer } from './layer-steps'

type Step = TagDetail['history'][number]

function StepList({ steps }: { steps: Step[] }) {
  return (
    <ol className="mt-2 space-y-2 border-l-2 border-slate-200 pl-3">
      {steps.map((s, i) => (
        <li key={i}>
          <code className="block font-mono text-xs break-all whitespace-pre-wrap text-slate-800">{formatCreatedBy(s.createdBy) || '—'}</code>
          <div className="mt-0.5 text-xs text-slate-600">
            {s.emptyLayer ? 'no layer · ' : ''}
            {s.created ? formatDateTime(s.created) : 'no date'}
            {s.comment ? ` · ${s.comment}` : ''}
          </div>
        </li>
      ))}
    </ol>
  )
}

function ShareBar({ part, whole }: { part: number | null; whole: number | null }) {
  const share = part !== null && whole ? part / whole : null
  return (
    <div className="flex items-center gap-2" data-testid="layer-share">
      <div className="h-2.5 min-w-0 flex-1 overflow-hidden rounded-full bg-slate-100" role="presentation">
        {/* min-width: even a tiny layer shows a visible sliver */}
        <div className="h-full min-w-[3px] rounded-full bg-indigo-500" style={{ width: share === null ? 0 : `${share * 100}%` }} data-testid="layer-share-bar" />
      </div>
      <span className="w-12 shrink-0 text-right text-xs font-medium text-slate-700 tabular-nums" data-testid="layer-share-label">
        {share === null ? '—' : share > 0 && share < 0.001 ? '<0.1%' : formatPercent(part, whole)}
      </span>
    </div>
  )
}

function LayerRow({ layer, steps, total, onBrowse }: { layer: LayerDetail; steps: Step[] | null; total: number | null; onBrowse?: (position: number) => void }) {
  return (
    <li data-testid="layer-row" className="px-5 py-4">
      <div className="flex flex-wrap items-start justify-between gap-x-4 gap-y-2">
        <div className="min-w-0 flex-1 basis-64">
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <span className="font-medium text-slate-900">Layer {layer.position + 1}</span>
            <span className="font-mono text-xs text-slate-700" title={layer.digest}>
              {shortDigest(layer.digest)}
            </span>
            <CopyButton text={layer.digest} label="Copy" />
            {onBrowse && (
              <button type="button" className="rounded-md border border-slate-300 px-2 py-0.5 text-xs font-medium text-indigo-700 hover:bg-slate-50" onClick={() => onBrowse(layer.position)} aria-label={`Browse files of layer ${layer.position + 1}`}>
                Browse files
              </button>
            )}
          </div>
          <code className="mt-1 line-clamp-2 block font-mono text-xs break-all text-slate-700" title={layer.createdBy ?? undefined}>
            {formatCreatedBy(layer.createdBy) || '—'}
          </code>
          {layer.sourceDigest && (
            <div className="mt-1 font-mono text-xs text-slate-600" title={`pushed compressed as ${layer.sourceDigest}`}>
              from {shortDigest(layer.sourceDigest)}
            </div>
          )}
        </div>
        <dl className="grid shrink-0 grid-cols-3 gap-x-4 text-right text-xs">
          <div>
            <dt className="text-slate-600">Uncompressed</dt>
            <dd className="text-sm text-slate-900">
              <MeasuredBytes value={layer.uncompressedSize} state={layer.compressedState} />
            </dd>
          </div>
          <div>
            <dt className="text-slate-600">Compressed</dt>
            <dd className="text-sm text-slate-900">
              <MeasuredBytes value={layer.compressedSize} state={layer.compressedState} />
              {layer.compressedSize !== null && layer.uncompressedSize !== null && (
                <span className="block text-xs text-slate-600">{formatPercent(layer.compressedSize, layer.uncompressedSize)}</span>
              )}
            </dd>
          </div>
          <div>
            <dt className="text-slate-600">Packed</dt>
            <dd className="text-sm text-slate-900">
              <Bytes value={layer.packedSize} />
            </dd>
          </div>
        </dl>
      </div>
      <div className="mt-2" aria-label={`Layer ${layer.position + 1}: ${formatPercent(layer.uncompressedSize, total)} of the image`}>
        <ShareBar part={layer.uncompressedSize} whole={total} />
      </div>
      {steps && steps.length > 0 && (
        <details className="mt-2 text-sm">
          <summary className="cursor-pointer text-xs font-medium text-slate-700 select-none hover:text-slate-900">
            Build {steps.length === 1 ? 'step' : `steps (${steps.length})`}
          </summary>
          <StepList steps={steps} />
        </details>
      )}
    </li>
  )
}

/** `onBrowse`: a layer's "Browse files" button opens that layer in the page's file browser. */
export function LayerList({ detail, onBrowse }: { detail: TagDetail; onBrowse?: (position: number) => void }) {
  const split = stepsPerLayer(detail.history, detail.layers.length)
  const total = detail.sizes.uncompressed
  return (
    <div>
      <ol className="divide-y divide-slate-100">
        {detail.layers.map((l, i) => (
          <LayerRow key={l.position} layer={l} steps={split ? split.perLayer[i] : null} total={total} onBrowse={onBrowse} />
        ))}
      </ol>
      {split && split.trailing.length > 0 && (
        <details className="border-t border-slate-100 px-5 py-3 text-sm">
          <summary className="cursor-pointer text-xs font-medium text-slate-700 select-none hover:text-slate-900">
            Configuration steps after the last layer ({split.trailing.length})
          </summary>
          <StepList steps={split.trailing} />
        </details>
      )}
      {!split && detail.history.length > 0 && (
        <details className="border-t border-slate-100 px-5 py-3 text-sm">
          <summary className="cursor-pointer text-xs font-medium text-slate-700 select-none">Build history ({detail.history.length} steps, not matched to layers)</summary>
          <StepList steps={detail.history} />
        </details>
      )}
    </div>
  )
}
