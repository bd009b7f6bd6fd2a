'use client'
// /users (administrators): every account, and a form to create a user with a password.
import { useState } from 'react'
import { accountsApi, accountUrls, type UserSummary } from './accounts-api'
import { useApi } from './use-api'
import { useAction } from './use-action'
import { ErrorPanel, Loading } from '../page-states'
import { Field, PageTitle, Section } from './parts'
import { DataTable, type Column } from './data-table'
import { FormRow } from './form-row'
import { TimeAgo } from '../time-ago'
import { userNameProblem } from '@/lib/auth/account-names'

const COLUMNS: Column[] = [{ label: 'User' }, { label: 'Kind' }, { label: 'Created', className: 'hidden text-right sm:table-cell' }]

export function UsersPage() {
  const users = useApi<{ users: UserSummary[] }>(accountUrls.users)
  return (
    <div className="space-y-6">
      <PageTitle title="Users">People who sign in to Stowage, and the robot accounts of organizations. Add people to organizations on each organization&apos;s page.</PageTitle>
      <CreateUser onCreated={users.reload} />
      <Section title="All users" id="user-list">
        {users.error ? (
          <ErrorPanel error={users.error} onRetry={users.reload} />
        ) : !users.data ? (
          <Loading label="Loading users…" />
        ) : (
          <DataTable columns={COLUMNS}>
            {users.data.users.map((u) => (
              <tr key={u.name} data-testid="user-row" data-user={u.name}>
                <td className="px-4 py-3 font-mono break-all text-slate-900">{u.name}</td>
                <td className="px-4 py-3 text-slate-700">
                  {u.kind === 'robot' ? 'robot' : 'person'}
                  {u.admin && <span className="ml-2 rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-800 ring-1 ring-indigo-200 ring-inset">administrator</span>}
                </td>
                <td className="hidden px-4 py-3 text-right whitespace-nowrap text-slate-600 sm:table-cell">
                  <TimeAgo at={u.createdAt} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
    </div>
  )
}

function CreateUser({ onCreated }: { onCreated: () => unknown }) {
  const [name, setName] = useState('')
  const [password, setPassword] = useState('')
  const [admin, setAdmin] = useState(false)
  const [created, setCreated] = useState<string | null>(null)
  const action = useAction()
  const problem = name.trim() ? userNameProblem(name.trim()) : null
  const submit = () => {
    setCreated(null)
    return action.run(async () => {
      await accountsApi.createUser(name.trim(), password, admin)
      setCreated(name.trim())
      setName('')
      setPassword('')
      setAdmin(false)
      await onCreated()
    })
  }
  const status = created && (
    <p role="status" className="text-sm text-emerald-800">
      Created user {created}. Give them the password, and add them to an organization.
    </p>
  )
  return (
    <Section title="Create user" id="create-user">
      <FormRow label="Create user" className="px-5 py-4" onSubmit={submit} submitLabel="Create user" canSubmit={!action.busy && !!name.trim() && !!password && !problem} problem={problem} error={action.error} status={status}>
        <Field label="User name" htmlFor="new-user-name" className="flex-1 basis-48">
          <input id="new-user-name" className="input font-mono" placeholder="bob" autoComplete="off" spellCheck={false} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Password" htmlFor="new-user-password" className="flex-1 basis-48">
          <input id="new-user-password" type="password" className="input" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <label className="flex items-center gap-2 py-2 text-sm text-slate-700">
          <input type="checkbox" className="h-4 w-4 accent-indigo-600" checked={admin} onChange={(e) => setAdmin(e.target.checked)} />
          Administrator
        </label>
      </FormRow>
    </Section>
  )
}
