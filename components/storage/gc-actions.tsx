'use client'
// "Dry run" and "Collect garbage" (POST /api/gc?dryRun=…); the real run is confirmed first. Shows the
// run's answer: what was freed (or would be), per repository for a dry run, and any errors; a run
// already going on (409 GC_RUNNING) is shown as the server words it.
import { useState } from 'react'
import { apiRequest } from '../api-client'
import { api } from '../routes'
import { useAction } from '../accounts/use-action'
import { FormError, Section } from '../accounts/parts'
import { ConfirmDialog } from '../confirm-dialog'
import { DataTable } from '../accounts/data-table'
import { Spinner } from '../page-states'
import type { GcResultView } from '@/lib/console/lifecycle-views'
import { formatBytes, formatExactBytes } from '@/lib/format'
import { graceText } from './grace'

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

export function GcActions({ graceSeconds, onRan }: { graceSeconds: number; onRan: () => void }) {
  const [result, setResult] = useState<GcResultView | null>(null)
  const [confirming, setConfirming] = useState(false)
  const [running, setRunning] = useState<'dry' | 'real' | null>(null)
  const action = useAction()
  const run = async (dryRun: boolean) => {
    setRunning(dryRun ? 'dry' : 'real')
    setResult(null)
    const ok = await action.run(async () => setResult(await apiRequest<GcResultView>(api.gc(dryRun), { method: 'POST' })))
    setRunning(null)
    setConfirming(false)
    // the usage numbers and the history change with every run (a dry run is recorded too)
    if (ok) onRan()
  }
  return (
    <Section title="Garbage collection" id="gc">
      <div className="space-y-4 px-5 py-4">
        <p className="text-sm text-slate-600">
          Deletes manifests no tag or index refers to, then the layers and configurations nothing refers to, from the database and the bucket, while the registry keeps serving. A dry run only counts what would go.
          {graceSeconds > 0 && ` Nothing younger than ${graceText(graceSeconds)} is deleted.`}
        </p>
        <div className="flex flex-wrap gap-3">
          <button type="button" className="btn-secondary" disabled={running !== null} onClick={() => run(true)}>
            {running === 'dry' && <Spinner />}
            Dry run
          </button>
          <button type="button" className="btn-danger" disabled={running !== null} onClick={() => setConfirming(true)}>
            Collect garbage
          </button>
        </div>
        {!confirming && <FormError message={action.error} />}
        {result && <GcResultPanel result={result} />}
      </div>
      <ConfirmDialog open={confirming} title="Collect garbage now?" confirmLabel="Collect garbage" busy={running === 'real'} error={action.error} onConfirm={() => run(false)} onCancel={() => setConfirming(false)}>
        <p>Unreferenced images and layers are deleted from the database and the bucket for good. Tagged images, images an index lists and uploads in progress are kept.</p>
      </ConfirmDialog>
    </Section>
  )
}

function GcResultPanel({ result }: { result: GcResultView }) {
  const verb = result.dryRun ? 'would free' : 'freed'
  const objects = result.dryRun ? result.blobsDeleted : result.objectsDeleted
  return (
    <div role="status" data-testid="gc-result" data-dry-run={String(result.dryRun)} data-bytes={result.bytesFreed} className={`rounded-lg border px-4 py-3 ${result.state === 'failed' || result.errors.length ? 'border-amber-200 bg-amber-50' : 'border-emerald-200 bg-emerald-50'}`}>
      <p className="text-sm font-medium text-slate-900">
        {result.dryRun ? 'Dry run: ' : 'Garbage collected: '}
        <span title={formatExactBytes(result.bytesFreed)}>
          {verb} {formatBytes(result.bytesFreed)}
        </span>{' '}
        in {plural(objects, 'object')}
      </p>
      <p className="mt-0.5 text-xs text-slate-700">
        {plural(result.manifestsDeleted, 'manifest')}, {plural(result.linksDeleted, 'repository link')}, {plural(result.blobsDeleted, 'blob')}
        {result.dryRun ? ' to delete' : ' deleted'} · run {result.runId}
      </p>
      {result.errors.length > 0 && (
        <ul className="mt-2 list-disc space-y-0.5 pl-5 text-xs wrap-anywhere text-amber-900" data-testid="gc-result-errors">
          {result.errors.map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      )}
      {result.repositories.length > 0 && (
        <div className="mt-3 overflow-hidden rounded-md border border-slate-200 bg-white">
          <DataTable columns={[{ label: 'Repository' }, { label: 'Manifests', className: 'hidden sm:table-cell text-right' }, { label: 'Blobs', className: 'hidden sm:table-cell text-right' }, { label: 'Bytes', className: 'text-right' }]}>
            {result.repositories.map((r) => (
              <tr key={r.repository} data-testid="gc-result-repository" data-repository={r.repository} data-bytes={r.bytes}>
                <td className="px-4 py-2 font-mono text-xs break-all text-slate-900">
                  {r.repository}
                  <span className="mt-0.5 block font-sans text-slate-600 sm:hidden">
                    {plural(r.manifests, 'manifest')} · {plural(r.blobs, 'blob')}
                  </span>
                </td>
                <td className="hidden px-4 py-2 text-right tabular-nums sm:table-cell">{r.manifests}</td>
                <td className="hidden px-4 py-2 text-right tabular-nums sm:table-cell">{r.blobs}</td>
                <td className="px-4 py-2 text-right whitespace-nowrap tabular-nums" title={formatExactBytes(r.bytes)}>
                  {formatBytes(r.bytes)}
                </td>
              </tr>
            ))}
          </DataTable>
        </div>
      )}
    </div>
  )
}
