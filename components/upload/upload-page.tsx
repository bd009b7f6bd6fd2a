'use client'
// The upload page: choose archives, see what each holds and would change (read in the browser, before
// sending), name images that have no name, then follow each upload and see what it created.
import { useEffect, useState } from 'react'
import { OrganizationPicker, organizationProblem, usePushOrganizations } from '../accounts/organization-picker'
import { DropZone } from './drop-zone'
import { UploadCard } from './upload-card'
import { SelectedFile, type FileChoice, type Readiness } from './selected-file'
import { isBusy, uploadQueue, useUploadQueue, type ImageNameInput } from './upload-queue'
import { formatBytes } from '@/lib/format'

type Selection = { id: string; file: File; choice: FileChoice; readiness: Readiness; name: ImageNameInput | null }

let nextSelectionId = 1

export function UploadPage() {
  const items = useUploadQueue()
  const [selected, setSelected] = useState<Selection[]>([])
  const pushable = usePushOrganizations()
  const [organization, setOrganization] = useState('')
  // someone who may push to exactly one organization uploads into it unless they choose otherwise
  const only = !pushable.admin && pushable.organizations.length === 1 ? pushable.organizations[0] : null
  useEffect(() => {
    if (only) setOrganization((o) => o || only)
  }, [only])
  const organizationInvalid = !!organizationProblem(organization)

  const update = (id: string, change: Partial<Selection>) => setSelected((s) => s.map((x) => (x.id === id ? { ...x, ...change } : x)))
  const add = (files: File[]) =>
    setSelected((s) => [
      ...s,
      ...files.map((file) => ({ id: `s${nextSelectionId++}`, file, choice: { naming: false, draft: { repository: '', tag: '' } }, readiness: 'reading' as Readiness, name: null })),
    ])
  // Files the browser already knows the server would refuse are never sent.
  const sendable = selected.filter((x) => x.readiness !== 'refused')
  const waiting = selected.some((x) => x.readiness === 'reading' || x.readiness === 'needs-name')
  const start = () => {
    if (!sendable.length || waiting || organizationInvalid) return
    for (const x of sendable) uploadQueue.add([x.file], x.name, organization.trim() || null)
    setSelected([])
  }
  const finished = items.filter((i) => !isBusy(i)).length

  return (
    <div className="grid gap-8 lg:grid-cols-[1fr_20rem]">
      <div className="min-w-0 space-y-6">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Upload images</h1>
          <p className="mt-1 text-sm text-slate-500">
            Choose image archives: the browser first reads what they hold and shows what uploading them would do; then they are unpacked on the server while
            they stream in, verified, and their tags appear in the registry.
          </p>
        </div>

        <OrganizationPicker value={organization} onChange={setOrganization} organizations={pushable.organizations} admin={pushable.admin} />

        <DropZone onFiles={add} />

        {selected.length > 0 && (
          <section className="card" aria-label="Selected files">
            <ul className="divide-y divide-slate-100">
              {selected.map((x) => (
                <SelectedFile
                  key={x.id}
                  file={x.file}
                  idPrefix={selected.length === 1 ? 'name-as' : `name-as-${x.id}`}
                  choice={x.choice}
                  onChoice={(choice) => update(x.id, { choice })}
                  onReadiness={(readiness, name) => update(x.id, { readiness, name })}
                  onRemove={() => setSelected((s) => s.filter((y) => y.id !== x.id))}
                />
              ))}
            </ul>
            <div className="space-y-3 border-t border-slate-100 bg-slate-50/60 px-5 py-4">
              {selected.some((x) => x.readiness === 'needs-name') && <p className="text-xs text-amber-800">Name each image that has no name, then upload.</p>}
              <div className="flex flex-wrap items-center gap-3 pt-1">
                <button type="button" className="btn-primary" onClick={start} disabled={waiting || sendable.length === 0 || organizationInvalid}>
                  Upload {sendable.length === 1 ? '1 file' : `${sendable.length} files`}
                </button>
                <button type="button" className="btn-secondary" onClick={() => setSelected([])}>
                  Clear
                </button>
                <span className="ml-auto text-xs text-slate-500">{formatBytes(sendable.reduce((n, x) => n + x.file.size, 0))} to send</span>
              </div>
            </div>
          </section>
        )}

        {items.length > 0 && (
          <section aria-labelledby="uploads-title">
            <div className="mb-3 flex items-center justify-between">
              <h2 id="uploads-title" className="text-sm font-semibold text-slate-900">
                Uploads
              </h2>
              {finished > 0 && (
                <button type="button" className="text-xs font-medium text-slate-500 hover:text-slate-800" onClick={() => uploadQueue.clearFinished()}>
                  Clear finished
                </button>
              )}
            </div>
            <ul className="space-y-3">
              {items.map((item) => (
                <UploadCard key={item.id} item={item} />
              ))}
            </ul>
          </section>
        )}
      </div>

      <aside className="space-y-4 text-sm text-slate-600">
        <div className="card p-5">
          <h2 className="mb-3 font-semibold text-slate-900">Make an archive</h2>
          <ul className="space-y-3">
            {[
              ['Docker', 'docker save -o app.tar team/app:1.0'],
              ['Podman', 'podman save -o app.tar team/app:1.0'],
              ['skopeo', 'skopeo copy docker://… docker-archive:app.tar:team/app:1.0'],
              ['Smaller upload', 'docker save team/app:1.0 | gzip > app.tar.gz'],
            ].map(([label, cmd]) => (
              <li key={label}>
                <div className="mb-1 text-xs font-medium text-slate-500">{label}</div>
                <code className="block rounded-md bg-slate-900 px-2.5 py-1.5 font-mono text-[11px] break-words text-slate-100">{cmd}</code>
              </li>
            ))}
          </ul>
        </div>
        <div className="card p-5 text-xs leading-relaxed">
          <h2 className="mb-2 text-sm font-semibold text-slate-900">Good to know</h2>
          <p>An archive may hold several images; every repository:tag inside is created or updated.</p>
          <p className="mt-2">Nothing becomes visible until the whole archive is verified: a broken or interrupted upload changes nothing.</p>
          <p className="mt-2">Uploads continue while you browse other pages of the console.</p>
          <p className="mt-2">
            Uploads are resumable: a lost connection continues from the last byte the server has, and after a reload, choosing the same file again continues it
            too. A <code>.tar.gz</code> resumes only while the server keeps running.
          </p>
        </div>
      </aside>
    </div>
  )
}

