import type { Metadata } from 'next'
import { OrganizationPage } from '@/components/accounts/organization-page'
import { requirePageAccess } from '@/lib/console/page-auth'

type Props = { params: Promise<{ org: string }> }

const decoded = (raw: string) => {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: decoded((await params).org) }
}

export default async function Organization({ params }: Props) {
  const org = decoded((await params).org)
  // members only: others get the 404 page (whether the organization exists is not revealed)
  await requirePageAccess('read', { kind: 'organization', name: org }, `/organizations/${encodeURIComponent(org)}`)
  // key: another organization is another page (no form state carried over)
  return <OrganizationPage key={org} organization={org} />
}
