import type { Metadata } from 'next'
import { UsersPage } from '@/components/accounts/users-page'
import { requirePageAccess } from '@/lib/console/page-auth'

export const metadata: Metadata = { title: 'Users' }

export default async function Users() {
  // administrators only
  await requirePageAccess('manage', { kind: 'server' }, '/users')
  return <UsersPage />
}
