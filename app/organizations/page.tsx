import type { Metadata } from 'next'
import { OrganizationsPage } from '@/components/accounts/organizations-page'
import { requireSignedIn } from '@/lib/console/page-auth'

export const metadata: Metadata = { title: 'Organizations' }

export default async function Organizations() {
  await requireSignedIn('/organizations')
  return <OrganizationsPage />
}
