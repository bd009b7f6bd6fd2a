'use client'
// /storage (administrators): how much the bucket holds (logical vs physical) and what a garbage
// collection would free, the buttons that run one (dry or real), the history of runs and the
// background jobs. Rendered first on the server (app/storage/page.tsx); re-read from there after a run.
import { useRouter } from 'next/navigation'
import type { StoragePageData } from '@/lib/console/lifecycle-views'
import { PageTitle } from '../accounts/parts'
import { ErrorPanel, type Failure } from '../page-states'
import { UsageCards } from './usage-cards'
import { GcActions } from './gc-actions'
import { GcRunTable } from './gc-run-table'
import { JobsSection } from './jobs-section'

export function StoragePage({ data, error }: { data: StoragePageData | null; error: Failure | null }) {
  const router = useRouter()
  const refresh = () => router.refresh()
  return (
    <div className="space-y-6">
      <PageTitle title="Storage">Space the registry uses in its bucket, what garbage collection can free, and the background work that does it.</PageTitle>
      {error || !data ? (
        <ErrorPanel error={error ?? { status: 0, code: 'UNEXPECTED', message: 'no storage data' }} onRetry={refresh} />
      ) : (
        <>
          <UsageCards usage={data.usage} />
          <GcActions graceSeconds={data.usage.graceSeconds} onRan={refresh} />
          <GcRunTable runs={data.runs} />
          <JobsSection jobs={data.jobs} />
        </>
      )}
    </div>
  )
}
