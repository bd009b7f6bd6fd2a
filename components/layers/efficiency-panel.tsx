'use client'
// "Wasted space" (GET IMAGE/efficiency), in dive's words and by dive's definitions: the image
// efficiency score, the potential wasted space, the user wasted percent and the list of paths that
// more than one layer writes or deletes (Count, Total Space, Path).
import { Bytes } from '../sizes'
import { api, type ImageRef } from '../routes'
import { useApiPoll } from './use-api-poll'
import type { Building } from './file-types'
import { percentOf, type Efficiency } from './analysis-types'
import { PolledSection, ShowMore } from './analysis-parts'

function Figure({ label, children, testId }: { label: string; children: React.ReactNode; testId: string }) {
  return (
    <div className="min-w-0 rounded-lg bg-slate-50 px-3 py-2">
      <dt className="text-xs text-slate-600">{label}</dt>
      <dd className="text-lg font-semibold text-slate-900 tabular-nums" data-testid={testId}>
        {children}
      </dd>
    </div>
  )
}

export function EfficiencyPanel({ image }: { image: ImageRef }) {
  const answer = useApiPoll<Efficiency, Building>(api.imageEfficiency(image))
  return (
    <PolledSection
      id="efficiency-title"
      title="Wasted space"
      subtitle="Wasted space is what layers store for nothing: bytes of a file that a later layer overwrites or deletes (and every copy of a path written more than once) still travel with the image, though a container never sees them."
      answer={answer}
    >
      {(e) => (
        <div data-testid="efficiency-panel">
          <dl className="grid grid-cols-1 gap-3 sm:grid-cols-3">
            <Figure label="Image efficiency score" testId="efficiency-score">
              {percentOf(e.efficiency)}
            </Figure>
            <Figure label="Potential wasted space" testId="wasted-bytes">
              <Bytes value={e.wastedBytes} />
            </Figure>
            <Figure label="User wasted percent" testId="user-wasted">
              {percentOf(e.userWastedPercent)}
            </Figure>
          </dl>
          <p className="mt-2 text-xs text-slate-600">
            Image size <Bytes value={e.sizeBytes} />, of which <Bytes value={e.userSizeBytes} /> above the base layer (the user wasted percent is the wasted space against that part).
            {e.incomplete && ' A layer that is not a tar counts as empty.'}
          </p>
          {e.inefficiencies.length === 0 ? (
            <p className="mt-4 text-sm text-slate-700">No path is written by more than one layer: nothing is wasted.</p>
          ) : (
            <>
              <h3 className="mt-4 text-xs font-semibold tracking-wide text-slate-600 uppercase">
                Inefficient files ({e.inefficiencyCount}
                {e.inefficiencyCount > e.inefficiencies.length ? `, the ${e.inefficiencies.length} largest shown` : ''})
              </h3>
              <div className="mt-1 hidden grid-cols-[4rem_6rem_minmax(0,1fr)] gap-3 border-b border-slate-100 py-1 text-xs font-medium text-slate-600 sm:grid" aria-hidden="true">
                <span className="text-right">Count</span>
                <span className="text-right">Total Space</span>
                <span>Path</span>
              </div>
              <ul className="divide-y divide-slate-100" data-testid="inefficiencies">
                <ShowMore items={e.inefficiencies} label="paths" first={20}>
                  {(f) => (
                    <li key={f.path} className="flex flex-wrap gap-x-3 py-1.5 text-sm sm:grid sm:grid-cols-[4rem_6rem_minmax(0,1fr)]" data-testid="inefficiency">
                      <span className="text-xs text-slate-700 tabular-nums sm:text-right sm:text-sm">
                        <span className="sm:sr-only">Count </span>
                        {f.count}
                      </span>
                      <span className="text-xs sm:text-right sm:text-sm">
                        <Bytes value={f.wastedBytes} />
                      </span>
                      <span className="min-w-0 basis-full font-mono text-xs break-all text-slate-800 sm:basis-auto" title={`layers ${f.layers.map((p) => p + 1).join(', ')}`}>
                        {f.path}
                        <span className="ml-2 font-sans text-slate-600">(layers {f.layers.map((p) => p + 1).join(', ')})</span>
                      </span>
                    </li>
                  )}
                </ShowMore>
              </ul>
            </>
          )}
        </div>
      )}
    </PolledSection>
  )
}
