// The image's three sizes side by side, and why they differ.
import type { Sizes } from '../api-client'
import { MeasuredBytes, Bytes } from '../sizes'
import { formatBytes, formatPercent } from '@/lib/format'

export const SIZE_COLORS = {
  packed: { bar: 'bg-slate-400', dot: 'bg-slate-400', text: 'text-slate-600' },
  uncompressed: { bar: 'bg-indigo-500', dot: 'bg-indigo-500', text: 'text-indigo-700' },
  compressed: { bar: 'bg-emerald-500', dot: 'bg-emerald-500', text: 'text-emerald-700' },
} as const

function SizeCard(props: { kind: keyof typeof SIZE_COLORS; title: string; hint: string; children: React.ReactNode; footnote: React.ReactNode }) {
  return (
    <div className="card p-5" data-testid={`size-${props.kind}`}>
      <div className="flex items-center gap-2 text-sm font-medium text-slate-600">
        <span className={`h-2.5 w-2.5 rounded-full ${SIZE_COLORS[props.kind].dot}`} aria-hidden="true" />
        {props.title}
      </div>
      <div className="mt-2 text-3xl font-semibold tracking-tight text-slate-900" data-testid={`size-${props.kind}-value`}>
        {props.children}
      </div>
      <div className="mt-1 text-xs text-slate-600">{props.hint}</div>
      <div className="mt-3 border-t border-slate-100 pt-3 text-xs text-slate-600">{props.footnote}</div>
    </div>
  )
}

function packedNote(sizes: Sizes) {
  if (sizes.packed === null) return 'pushed through the registry API, not uploaded'
  if (sizes.uncompressed === null) return 'the archive as uploaded'
  const extra = sizes.packed - sizes.uncompressed
  // An uncompressed archive is the layers plus tar framing; a smaller one was gzipped on the way.
  if (extra >= 0) return `${formatBytes(extra)} more than the layers: tar headers, padding, metadata`
  return `${formatPercent(sizes.packed, sizes.uncompressed)} of uncompressed: the archive was compressed`
}

export function SizeCards({ sizes }: { sizes: Sizes }) {
  return (
    <section aria-labelledby="sizes-title">
      <h2 id="sizes-title" className="sr-only">
        Sizes
      </h2>
      <div className="grid gap-4 md:grid-cols-3">
        <SizeCard
          kind="packed"
          title="Packed"
          hint="the archive your browser sent"
          footnote={packedNote(sizes)}
        >
          <Bytes value={sizes.packed} />
        </SizeCard>
        <SizeCard kind="uncompressed" title="Uncompressed" hint="layers unpacked ≈ docker images SIZE" footnote="what a pull unpacks to disk">
          <MeasuredBytes value={sizes.uncompressed} state={sizes.compressedState} className={sizes.uncompressed === null ? 'text-xl font-medium' : ''} />
        </SizeCard>
        <SizeCard
          kind="compressed"
          title="Compressed"
          hint="gzip -6 per layer ≈ what docker push sends"
          footnote={sizes.compressed !== null && sizes.uncompressed !== null ? <>{formatPercent(sizes.compressed, sizes.uncompressed)} of uncompressed</> : 'measured in the background'}
        >
          <MeasuredBytes value={sizes.compressed} state={sizes.compressedState} className={sizes.compressed === null ? 'text-xl font-medium' : ''} />
        </SizeCard>
      </div>
      <details className="group mt-3 rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm text-slate-600 open:shadow-sm">
        <summary className="cursor-pointer font-medium text-slate-700 select-none marker:text-slate-600">Why three sizes?</summary>
        <dl className="mt-3 grid gap-3 md:grid-cols-3">
          <div>
            <dt className="font-medium text-slate-800">Packed</dt>
            <dd>
              The archive the browser sent: the layers plus tar headers, 512-byte padding and metadata (manifest, config, legacy files). For a
              <code className="mx-1 rounded bg-slate-100 px-1 font-mono text-xs">.tar.gz</code>upload it is the compressed size. Images pushed with a registry
              client have none.
            </dd>
          </div>
          <div>
            <dt className="font-medium text-slate-800">Uncompressed</dt>
            <dd>
              The layers as plain tar streams, which is how Stowage stores uploaded archives (content-addressed, each layer once). Close to the SIZE that{' '}
              <code className="rounded bg-slate-100 px-1 font-mono text-xs">docker images</code> shows.
            </dd>
          </div>
          <div>
            <dt className="font-medium text-slate-800">Compressed</dt>
            <dd>
              Every layer gzipped at level 6: about what <code className="rounded bg-slate-100 px-1 font-mono text-xs">docker push</code> sends over the wire and a
              pull downloads. An estimate, computed in the background after the import (for pushed images, the layers as pushed).
            </dd>
          </div>
        </dl>
      </details>
    </section>
  )
}
