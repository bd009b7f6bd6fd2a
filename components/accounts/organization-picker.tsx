'use client'
// The upload page's "into organization" choice: the organizations where the user may push
// (administrators: every organization, or a new name, which the upload creates). Sent as
// ?organization=; the server places the archive's names under it.
import { accountUrls, type OrganizationSummary } from './accounts-api'
import { useApi } from './use-api'
import { isAdmin, useSession } from './use-session'
import { roleRank } from '@/lib/auth/roles'
import { organizationNameProblem } from '@/lib/auth/account-names'

/** The organizations the signed-in user may upload into (empty while loading or anonymous). */
export function usePushOrganizations(): { organizations: string[]; admin: boolean; ready: boolean } {
  const session = useSession()
  const admin = isAdmin(session)
  const all = useApi<{ organizations: OrganizationSummary[] }>(admin ? accountUrls.organizations : null)
  if (session.status !== 'signed-in') return { organizations: [], admin: false, ready: session.status !== 'loading' }
  if (admin) return { organizations: all.data?.organizations.map((o) => o.name) ?? [], admin, ready: !!all.data || !!all.error }
  return { organizations: session.session.organizations.filter((o) => roleRank(o.role) >= roleRank('push')).map((o) => o.name), admin, ready: true }
}

export const organizationProblem = (value: string) => (value.trim() ? organizationNameProblem(value.trim()) : null)

export function OrganizationPicker({ value, onChange, organizations, admin }: { value: string; onChange: (org: string) => void; organizations: string[]; admin: boolean }) {
  const problem = organizationProblem(value)
  return (
    <div className="card space-y-2 px-5 py-4" data-testid="organization-picker">
      <label htmlFor="upload-organization" className="block text-sm font-semibold text-slate-900">
        Upload into organization
      </label>
      {admin ? (
        <>
          <input
            id="upload-organization"
            list="upload-organizations"
            className="input font-mono"
            placeholder="none: the names in the archive decide"
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(e) => onChange(e.target.value)}
          />
          <datalist id="upload-organizations">
            {organizations.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </>
      ) : (
        <select id="upload-organization" className="input font-mono" value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">none: the names in the archive decide</option>
          {organizations.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      )}
      {problem && <p className="text-xs text-red-700">{problem}</p>}
      <p className="text-xs leading-relaxed text-slate-600">
        {value.trim() && !problem ? (
          <>
            Image names are placed under <span className="font-mono text-slate-800">{value.trim()}/</span>:{' '}
          </>
        ) : (
          <>The archive&apos;s names are placed under the organization you choose: </>
        )}
        <span className="font-mono break-words text-slate-800">registry.example.com:5000/team/app:v1 → {value.trim() && !problem ? value.trim() : 'acme'}/team/app:v1</span>. A name that already starts
        with the organization stays as it is. Without a choice, the first part of each name is its organization
        {admin ? ' (a missing one is created).' : ', which must be one where you may push.'}
        {!admin && organizations.length === 0 && ' You may not push to any organization yet: ask an organization owner to add you with the push role.'}
      </p>
    </div>
  )
}
