'use client'
// /organizations: the organizations the user belongs to (administrators: all), with the user's role
// and how many repositories each holds; administrators create new ones here.
import Link from 'next/link'
import { useState } from 'react'
import { accountsApi, accountUrls, type OrganizationSummary } from './accounts-api'
import { useApi } from './use-api'
import { useAction } from './use-action'
import { isAdmin, refreshSession, useSession } from './use-session'
import { ErrorPanel, EmptyState, Loading } from '../page-states'
import { Field, PageTitle, RoleBadge, Section } from './parts'
import { DataTable, type Column } from './data-table'
import { FormRow } from './form-row'
import { TimeAgo } from '../time-ago'
import { organizationNameProblem } from '@/lib/auth/account-names'

const COLUMNS: Column[] = [
  { label: 'Organization' },
  { label: 'Your role' },
  { label: 'Repositories', className: 'text-right' },
  { label: 'Created', className: 'hidden text-right sm:table-cell' },
]

export const organizationHref = (org: string) => `/organizations/${encodeURIComponent(org)}`

export function OrganizationsPage() {
  const list = useApi<{ organizations: OrganizationSummary[] }>(accountUrls.organizations)
  const session = useSession()
  const admin = isAdmin(session)

  return (
    <div className="space-y-6">
      <PageTitle title="Organizations">Organizations own repositories: the first part of a repository name is its organization.</PageTitle>
      {admin && <CreateOrganization onCreated={() => Promise.all([list.reload(), refreshSession()])} />}
      {list.error ? (
        <ErrorPanel error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading label="Loading organizations…" />
      ) : list.data.organizations.length === 0 ? (
        <EmptyState title="No organizations yet">
          <p>{admin ? 'Create one above, then add its members.' : 'An administrator or an organization owner can add you to one.'}</p>
        </EmptyState>
      ) : (
        <DataTable className="card" columns={COLUMNS}>
          {list.data.organizations.map((o) => (
            <tr key={o.name} className="group hover:bg-slate-50" data-testid="organization-row" data-organization={o.name}>
              <td className="px-4 py-3">
                <Link href={organizationHref(o.name)} prefetch={false} className="font-medium break-all text-slate-900 group-hover:text-indigo-700">
                  {o.name}
                </Link>
              </td>
              <td className="px-4 py-3">{o.role ? <RoleBadge role={o.role} /> : <span className="text-xs text-slate-600">{admin ? 'administrator' : '—'}</span>}</td>
              <td className="px-4 py-3 text-right text-slate-700 tabular-nums">{o.repositories}</td>
              <td className="hidden px-4 py-3 text-right whitespace-nowrap text-slate-600 sm:table-cell">
                <TimeAgo at={o.createdAt} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  )
}

function CreateOrganization({ onCreated }: { onCreated: () => unknown }) {
  const [name, setName] = useState('')
  const [created, setCreated] = useState<string | null>(null)
  const action = useAction()
  const problem = name ? organizationNameProblem(name.trim()) : null
  const submit = () =>
    action.run(async () => {
      const wanted = name.trim()
      await accountsApi.createOrganization(wanted)
      setCreated(wanted)
      setName('')
      await onCreated()
    })
  const status = created && (
    <p role="status" className="text-sm text-emerald-800">
      Created <Link className="font-medium underline" href={organizationHref(created)}>{created}</Link>: add its members there.
    </p>
  )
  return (
    <Section title="Create organization" id="create-organization">
      <FormRow className="px-5 py-4" onSubmit={submit} submitLabel="Create organization" canSubmit={!action.busy && !!name.trim() && !problem} problem={problem} error={action.error} status={status}>
        <Field label="Name" htmlFor="organization-name" className="flex-1 basis-56">
          <input id="organization-name" className="input font-mono" placeholder="acme" autoComplete="off" spellCheck={false} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
      </FormRow>
    </Section>
  )
}
