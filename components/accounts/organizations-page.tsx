'use client'
// /organizations: the organizations the user belongs to (administrators: all), with the user's role
// and how many repositories each holds; administrators create new ones here.
import Link from 'next/link'
import { useState } from 'react'
import { accountsApi, accountUrls, type OrganizationSummary } from './accounts-api'
import { actionMessage, useApi } from './use-api'
import { isAdmin, refreshSession, useSession } from './use-session'
import { ErrorPanel, EmptyState, Loading } from '../page-states'
import { Field, FormError, PageTitle, RoleBadge, Section } from './parts'
import { TimeAgo } from '../time-ago'
import { organizationNameProblem } from '@/lib/auth/account-names'

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
        <div className="card relative overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs font-medium tracking-wide text-slate-600 uppercase">
              <tr>
                <th scope="col" className="px-4 py-3">Organization</th>
                <th scope="col" className="px-4 py-3">Your role</th>
                <th scope="col" className="px-4 py-3 text-right">Repositories</th>
                <th scope="col" className="hidden px-4 py-3 text-right sm:table-cell">Created</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
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
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}

function CreateOrganization({ onCreated }: { onCreated: () => unknown }) {
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [created, setCreated] = useState<string | null>(null)
  const problem = name ? organizationNameProblem(name.trim()) : null
  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    const wanted = name.trim()
    if (!wanted || problem) return
    setBusy(true)
    setError(null)
    try {
      await accountsApi.createOrganization(wanted)
      setCreated(wanted)
      setName('')
      await onCreated()
    } catch (err) {
      setError(actionMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Section title="Create organization" id="create-organization">
      <form onSubmit={submit} className="space-y-3 px-5 py-4">
        <div className="flex flex-wrap items-end gap-3">
          <Field label="Name" htmlFor="organization-name" className="flex-1 basis-56">
            <input id="organization-name" className="input font-mono" placeholder="acme" autoComplete="off" spellCheck={false} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <button type="submit" className="btn-primary" disabled={busy || !name.trim() || !!problem}>
            Create organization
          </button>
        </div>
        {problem && <p className="text-xs text-red-700">{problem}</p>}
        <FormError message={error} />
        {created && (
          <p role="status" className="text-sm text-emerald-800">
            Created <Link className="font-medium underline" href={organizationHref(created)}>{created}</Link>: add its members there.
          </p>
        )}
      </form>
    </Section>
  )
}
