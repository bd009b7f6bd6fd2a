// Horizontal bars per layer comparing packed, uncompressed and compressed sizes (plain divs, one scale
// for all layers so big and small layers compare at a glance).
import type { LayerDetail } from '../api-client'
import { SIZE_COLORS } from './size-cards'
import { formatBytes, formatCreatedBy, shortDigest } from '@/lib/format'

type Series = { key: 'packed' | 'uncompressed' | 'compressed'; label: string; value: (l: LayerDetail) => number | null }

const SERIES: Series[] = [
  { key: 'packed', label: 'Packed', value: (l) => l.packedSize },
  { key: 'uncompressed', label: 'Uncompressed', value: (l) => l.uncompressedSize },
  { key: 'compressed', label: 'Compressed', value: (l) => l.compressedSize },
]

export function LayerChart({ layers }: { layers: LayerDetail[] }) {
  const max = Math.max(1, ...layers.flatMap((l) => SERIES.map((s) => s.value(l) ?? 0)))
  return (
    <div>
      <div className="mb-4 flex flex-wrap gap-4 text-xs text-slate-600">
        {SERIES.map((s) => (
          <span key={s.key} className="inline-flex items-center gap-1.5">
            <span className={`h-2.5 w-2.5 rounded-sm ${SIZE_COLORS[s.key].bar}`} aria-hidden="true" />
            {s.label}
          </span>
        ))}
      </div>
      <ol className="space-y-4">
        {layers.map((l) => (
          <li key={l.position} className="grid gap-x-4 gap-y-1 md:grid-cols-[14rem_1fr]">
            <div className="min-w-0 text-xs">
              <div className="font-medium text-slate-800">
                Layer {l.position + 1} <span className="font-mono font-normal text-slate-400">{shortDigest(l.digest)}</span>
              </div>
              <div className="truncate font-mono text-slate-500" title={l.createdBy ?? undefined}>
                {formatCreatedBy(l.createdBy) || '—'}
              </div>
            </div>
            <div className="space-y-1" role="img" aria-label={`Layer ${l.position + 1} sizes`}>
              {SERIES.map((s) => {
                const v = s.value(l)
                const pending = v === null && s.key !== 'packed' && l.compressedState === 'pending'
                return (
                  <div key={s.key} className="flex items-center gap-2">
                    <div className="h-2.5 flex-1 overflow-hidden rounded-full bg-slate-100">
                      {pending ? (
                        <div className={`h-full w-1/4 animate-pulse rounded-full opacity-30 ${SIZE_COLORS[s.key].bar}`} />
                      ) : (
                        <div className={`h-full rounded-full ${SIZE_COLORS[s.key].bar}`} style={{ width: `${v ? Math.max(0.5, (v / max) * 100) : 0}%` }} />
                      )}
                    </div>
                    <span className="w-20 shrink-0 text-right text-xs text-slate-500 tabular-nums">{pending ? 'computing…' : formatBytes(v)}</span>
                  </div>
                )
              })}
            </div>
          </li>
        ))}
      </ol>
    </div>
  )
}
