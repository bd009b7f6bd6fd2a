import type { Metadata } from 'next'
import { Suspense } from 'react'
import { AuditPage } from '@/components/accounts/audit-page'
import { Loading } from '@/components/page-states'
import { requireSignedIn } from '@/lib/console/page-auth'

export const metadata: Metadata = { title: 'Audit log' }

// signed-in users; which events they may read (owners: their organizations'; administrators: all) the API decides
export default async function Audit() {
  await requireSignedIn('/audit')
  // the filter is read from the URL in the browser (useSearchParams needs a boundary)
  return (
    <Suspense fallback={<Loading label="Loading events…" />}>
      <AuditPage />
    </Suspense>
  )
}
