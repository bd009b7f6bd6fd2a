'use client'
// "Where the bytes are" (GET IMAGE/usage): the merged tree's largest files and directories, and per
// layer how much of its content is already compressed (gzip cannot shrink it further) and how much
// gzip can shrink: that split, not the layer's size alone, decides its compressed size.
import { Bytes } from '../sizes'
import { api, type ImageRef } from '../routes'
import { formatPercent } from '@/lib/format'
import { useApiPoll } from './use-api-poll'
import type { Building } from './file-types'
import type { Usage } from './analysis-types'
import { PolledSection, ShowMore } from './analysis-parts'

function Row({ path, size, extra }: { path: string; size: number; extra: React.ReactNode }) {
  return (
    <li className="flex items-baseline justify-between gap-3 py-1.5 text-sm">
      <span className="min-w-0 font-mono text-xs break-all text-slate-800">{path}</span>
      <span className="shrink-0 text-right text-xs text-slate-600">
        <Bytes value={size} className="font-medium text-slate-900" />
        {extra}
      </span>
    </li>
  )
}

function LayerContent({ layer }: { layer: Usage['layers'][number] }) {
  const { compressedContentBytes: already, compressibleBytes: compressible, fileBytes } = layer
  const known = already !== null && compressible !== null
  return (
    <li className="py-2 text-sm" data-testid="usage-layer" data-position={layer.position}>
      <div className="flex flex-wrap items-baseline justify-between gap-x-3">
        <span className="font-medium text-slate-900">Layer {layer.position + 1}</span>
        <span className="text-xs text-slate-600">
          <Bytes value={fileBytes} /> in files
        </span>
      </div>
      {known ? (
        <>
          <div className="mt-1 flex h-2.5 overflow-hidden rounded-full bg-slate-100" role="presentation">
            <div className="h-full bg-amber-500" style={{ width: fileBytes ? `${(already / fileBytes) * 100}%` : 0 }} />
            <div className="h-full bg-indigo-500" style={{ width: fileBytes ? `${(compressible / fileBytes) * 100}%` : 0 }} />
          </div>
          <p className="mt-1 text-xs text-slate-700">
            <span className="text-amber-800">already compressed <Bytes value={already} /> ({formatPercent(already, fileBytes)})</span> ·{' '}
            <span className="text-indigo-800">
              compressible <Bytes value={compressible} /> ({formatPercent(compressible, fileBytes)})
            </span>
          </p>
        </>
      ) : (
        <p className="mt-1 text-xs text-slate-600 italic">content not measured yet</p>
      )}
    </li>
  )
}

export function UsagePanel({ image }: { image: ImageRef }) {
  const answer = useApiPoll<Usage, Building>(api.imageUsage(image))
  return (
    <PolledSection id="usage-title" title="Where the bytes are" subtitle="The largest files and folders of the whole image, and what each layer's files are made of." answer={answer}>
      {(u) => (
        <div className="grid gap-6 lg:grid-cols-2" data-testid="usage-panel">
          <div className="min-w-0">
            <h3 className="text-xs font-semibold tracking-wide text-slate-600 uppercase">Largest files</h3>
            <ul className="mt-1 divide-y divide-slate-100" data-testid="largest-files">
              <ShowMore items={u.largestFiles} label="files">
                {(f) => <Row key={f.path} path={f.path} size={f.size} extra={<span className="block">layer {f.layer + 1}</span>} />}
              </ShowMore>
            </ul>
          </div>
          <div className="min-w-0">
            <h3 className="text-xs font-semibold tracking-wide text-slate-600 uppercase">Largest folders</h3>
            <ul className="mt-1 divide-y divide-slate-100" data-testid="largest-directories">
              <ShowMore items={u.largestDirectories} label="folders">
                {(d) => <Row key={d.path} path={`${d.path}/`} size={d.bytes} extra={<span className="block">{d.files} files</span>} />}
              </ShowMore>
            </ul>
          </div>
          <div className="min-w-0 lg:col-span-2">
            <h3 className="text-xs font-semibold tracking-wide text-slate-600 uppercase">Content per layer</h3>
            <p className="mt-1 text-xs text-slate-600">
              Why a layer compresses the way it does: gzip shrinks text, binaries and other plain data to a fraction, but files that are already compressed (.gz, .zip, .jar, .png, .jpg, .woff2…) stay
              about their size, so a layer mostly made of them is pushed at nearly its full size.
            </p>
            <ul className="mt-1 divide-y divide-slate-100">
              {u.layers.map((l) => (
                <LayerContent key={l.position} layer={l} />
              ))}
            </ul>
          </div>
        </div>
      )}
    </PolledSection>
  )
}
