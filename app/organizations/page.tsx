import type { Metadata } from 'next'
import { OrganizationsPage } from '@/components/accounts/organizations-page'

export const metadata: Metadata = { title: 'Organizations' }

export default function Organizations() {
  return <OrganizationsPage />
}
