'use client'
// /organizations/<org>: members, robot accounts, usage and limits, and (owners) a link to the
// organization's audit log and its retention policy. What a control may do is decided by the server;
// the page only hides the controls the user's role cannot use.
import Link from 'next/link'
import { accountUrls, type OrganizationDetail } from './accounts-api'
import { useApi } from './use-api'
import { isAdmin, useSession } from './use-session'
import { Breadcrumbs } from '../breadcrumbs'
import { PendingPage } from '../page-states'
import { PageTitle, RoleBadge } from './parts'
import { MembersSection } from './members-section'
import { RobotsSection } from './robots-section'
import { SettingsSection } from './settings-section'
import { RetentionSection } from '../retention/retention-section'

export function OrganizationPage({ organization }: { organization: string }) {
  const detail = useApi<OrganizationDetail>(accountUrls.organization(organization))
  const session = useSession()
  const admin = isAdmin(session)
  const crumbs = <Breadcrumbs items={[{ label: 'Organizations', href: '/organizations' }, { label: organization }]} />
  const data = detail.data
  if (!data) {
    const back = (
      <Link href="/organizations" className="btn-secondary">
        All organizations
      </Link>
    )
    return <PendingPage crumbs={crumbs} error={detail.error} onRetry={detail.reload} back={back} loadingLabel="Loading organization…" />
  }
  const owner = admin || data.role === 'owner'
  return (
    <div>
      {crumbs}
      <PageTitle
        title={data.name}
        action={
          owner && (
            <Link href={`/audit?organization=${encodeURIComponent(data.name)}`} className="btn-secondary">
              Audit log
            </Link>
          )
        }
      >
        <span className="inline-flex flex-wrap items-center gap-2">
          Your role: {data.role ? <RoleBadge role={data.role} /> : admin ? 'administrator' : '—'}
          <span>
            · repositories named <code className="font-mono text-slate-800">{data.name}/…</code>{' '}
            <Link className="text-indigo-700 hover:underline" href={`/?q=${encodeURIComponent(`${data.name}/`)}`} prefetch={false}>
              show them
            </Link>
          </span>
        </span>
      </PageTitle>
      <div className="grid gap-6 lg:grid-cols-2">
        <div className="min-w-0 space-y-6">
          <MembersSection organization={data.name} members={data.members} canManage={owner} onChanged={detail.reload} />
          <RobotsSection organization={data.name} members={data.members} canManage={owner} onChanged={detail.reload} />
        </div>
        <div className="min-w-0 space-y-6">
          <SettingsSection organization={data.name} settings={data.settings} usage={data.usage} canEdit={admin} onChanged={detail.reload} />
          {owner && <RetentionSection scope={{ organization: data.name }} />}
        </div>
      </div>
    </div>
  )
}
