'use client'
// A repository's visibility: a "public" badge for everyone, and for the organization's owners a
// switch (PATCH /api/repositories/{name} {public}) with a confirmation before opening it to anyone.
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { accountsApi } from './accounts-api'
import { useAction } from './use-action'
import { mayManage, useSession } from './use-session'
import { ConfirmDialog } from '../confirm-dialog'
import { flash } from '../flash'
import { PublicBadge } from './parts'
import { organizationOf } from '@/lib/auth/account-names'

export function VisibilityToggle({ repository, isPublic }: { repository: string; isPublic: boolean }) {
  const router = useRouter()
  const session = useSession()
  const [value, setValue] = useState(isPublic)
  const [confirming, setConfirming] = useState(false)
  const { busy, error, run } = useAction()
  const owner = mayManage(session, organizationOf(repository))

  const change = (next: boolean) =>
    run(async () => {
      await accountsApi.setPublic(repository, next)
      setValue(next)
      setConfirming(false)
      flash(next ? `${repository} is public: anyone may pull it` : `${repository} is private again`)
      router.refresh()
    })

  if (!owner) return value ? <PublicBadge /> : null
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="visibility">
      <label className="inline-flex cursor-pointer items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          role="switch"
          className="h-4 w-4 accent-indigo-600"
          checked={value}
          disabled={busy}
          aria-describedby="visibility-help"
          onChange={(e) => (e.target.checked ? setConfirming(true) : void change(false))}
        />
        Public
      </label>
      <span id="visibility-help" className="text-xs text-slate-600">
        {value ? 'anyone may pull, also without signing in' : 'only members may pull'}
      </span>
      {!confirming && error && (
        <p role="alert" className="w-full text-sm text-red-700">
          {error}
        </p>
      )}
      <ConfirmDialog open={confirming} title={`Make ${repository} public?`} confirmLabel="Make public" tone="primary" busy={busy} error={error} onConfirm={() => change(true)} onCancel={() => setConfirming(false)}>
        <p>Anyone who can reach this registry may pull its images, without signing in. Pushing and deleting still need the organization&apos;s roles.</p>
      </ConfirmDialog>
    </div>
  )
}
