'use client'
// Access tokens as a table: name, organization, access, expiry, last use, creation, and Revoke.
import { useState } from 'react'
import { accountsApi, type AccessToken } from './accounts-api'
import { useAction } from './use-action'
import { DataTable } from './data-table'
import { ConfirmDialog } from '../confirm-dialog'
import { TimeAgo } from '../time-ago'
import { DateText } from './parts'

/** showOrganization false: every token is of one organization (a robot's), shown elsewhere on the page. */
export function TokenTable({ tokens, showUser = false, showOrganization = true, onChanged }: { tokens: AccessToken[]; showUser?: boolean; showOrganization?: boolean; onChanged: () => unknown }) {
  if (tokens.length === 0) return <p className="px-5 py-4 text-sm text-slate-600">No tokens.</p>
  const columns = [
    { label: 'Name' },
    showUser && { label: 'User', className: 'hidden md:table-cell' },
    showOrganization && { label: 'Organization', className: 'hidden sm:table-cell' },
    { label: 'Access' },
    { label: 'Expires', className: 'hidden md:table-cell' },
    { label: 'Last used', className: 'hidden lg:table-cell' },
    { label: 'Created', className: 'hidden lg:table-cell' },
    { label: <span className="sr-only">Actions</span> },
  ]
  return (
    <DataTable nowrapHead columns={columns}>
      {tokens.map((t) => (
        <TokenRow key={t.id} token={t} showUser={showUser} showOrganization={showOrganization} onChanged={onChanged} />
      ))}
    </DataTable>
  )
}

const expired = (t: AccessToken) => !!t.expiresAt && new Date(t.expiresAt).getTime() <= Date.now()

function TokenRow({ token: t, showUser, showOrganization, onChanged }: { token: AccessToken; showUser: boolean; showOrganization: boolean; onChanged: () => unknown }) {
  const [open, setOpen] = useState(false)
  const { busy, error, run } = useAction()
  const revoke = () =>
    run(async () => {
      await accountsApi.revokeToken(t.id)
      setOpen(false)
      await onChanged()
    })
  const state = t.revokedAt ? 'revoked' : expired(t) ? 'expired' : null
  return (
    <tr data-testid="token-row" data-token={t.name}>
      <td className="px-4 py-3">
        <div className="min-w-32 font-medium break-words text-slate-900">{t.name}</div>
        {state && <span className="text-xs font-medium text-red-700">{state}</span>}
        {showOrganization && <div className="text-xs break-words text-slate-600 sm:hidden">{t.organization ?? 'all organizations'}</div>}
      </td>
      {showUser && <td className="hidden px-4 py-3 font-mono text-xs break-all text-slate-700 md:table-cell">{t.user}</td>}
      {showOrganization && <td className="hidden px-4 py-3 break-words text-slate-700 sm:table-cell">{t.organization ?? <span className="text-slate-600">all</span>}</td>}
      <td className="px-4 py-3 text-slate-700">{t.access}</td>
      <td className="hidden px-4 py-3 whitespace-nowrap text-slate-700 md:table-cell">
        <DateText at={t.expiresAt} fallback="never" />
      </td>
      <td className="hidden px-4 py-3 whitespace-nowrap text-slate-600 lg:table-cell">{t.lastUsedAt ? <TimeAgo at={t.lastUsedAt} /> : 'never'}</td>
      <td className="hidden px-4 py-3 whitespace-nowrap text-slate-600 lg:table-cell">
        <TimeAgo at={t.createdAt} />
      </td>
      <td className="px-2 py-2 text-right">
        {!t.revokedAt && (
          <button type="button" className="btn-danger-ghost" onClick={() => setOpen(true)} aria-label={`Revoke token ${t.name}`}>
            Revoke
          </button>
        )}
        <ConfirmDialog open={open} title={`Revoke token ${t.name}?`} confirmLabel="Revoke token" busy={busy} error={error} onConfirm={revoke} onCancel={() => setOpen(false)}>
          <p>Clients that sign in with this token are refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      </td>
    </tr>
  )
}
