// Every layer: digest, the command that made it (from the image history), and its three sizes.
import type { LayerDetail } from '../api-client'
import { Bytes, MeasuredBytes } from '../sizes'
import { CopyButton } from '../copy-button'
import { formatCreatedBy, formatPercent, shortDigest } from '@/lib/format'

export function LayerTable({ layers }: { layers: LayerDetail[] }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 bg-slate-50 text-xs font-medium tracking-wide whitespace-nowrap text-slate-500 uppercase">
          <tr>
            <th scope="col" className="px-4 py-3">#</th>
            <th scope="col" className="px-4 py-3">Digest</th>
            <th scope="col" className="px-4 py-3">Created by</th>
            <th scope="col" className="px-4 py-3 text-right">Packed</th>
            <th scope="col" className="px-4 py-3 text-right">Uncompressed</th>
            <th scope="col" className="px-4 py-3 text-right">Compressed</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {layers.map((l) => (
            <tr key={l.position} data-testid="layer-row" className="align-top">
              <td className="px-4 py-3 text-slate-400 tabular-nums">{l.position + 1}</td>
              <td className="px-4 py-3 whitespace-nowrap">
                <div className="flex items-center gap-2">
                  <span className="font-mono text-xs text-slate-700" title={l.digest}>
                    {shortDigest(l.digest)}
                  </span>
                  <CopyButton text={l.digest} label="Copy" className="opacity-60 hover:opacity-100" />
                </div>
                {l.sourceDigest && (
                  <div className="mt-1 font-mono text-[11px] text-slate-400" title={`pushed compressed as ${l.sourceDigest}`}>
                    from {shortDigest(l.sourceDigest)}
                  </div>
                )}
              </td>
              <td className="max-w-md px-4 py-3">
                <code className="line-clamp-2 font-mono text-xs break-all text-slate-600" title={l.createdBy ?? undefined}>
                  {formatCreatedBy(l.createdBy) || <span className="text-slate-400">—</span>}
                </code>
              </td>
              <td className="px-4 py-3 text-right whitespace-nowrap">
                <Bytes value={l.packedSize} />
              </td>
              <td className="px-4 py-3 text-right whitespace-nowrap">
                <MeasuredBytes value={l.uncompressedSize} state={l.compressedState} />
              </td>
              <td className="px-4 py-3 text-right whitespace-nowrap">
                <MeasuredBytes value={l.compressedSize} state={l.compressedState} />
                {l.compressedSize !== null && l.uncompressedSize !== null && <div className="text-[11px] text-slate-400">{formatPercent(l.compressedSize, l.uncompressedSize)}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
