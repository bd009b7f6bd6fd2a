import type { Metadata } from 'next'
import { Suspense } from 'react'
import { AuditPage } from '@/components/accounts/audit-page'
import { Loading } from '@/components/page-states'

export const metadata: Metadata = { title: 'Audit log' }

export default function Audit() {
  // the filter is read from the URL in the browser (useSearchParams needs a boundary)
  return (
    <Suspense fallback={<Loading label="Loading events…" />}>
      <AuditPage />
    </Suspense>
  )
}
