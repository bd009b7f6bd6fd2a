import { Suspense } from 'react'
import { RepositoryBrowser } from '@/components/repository-browser'
import { Loading } from '@/components/page-states'

export default function RepositoriesPage() {
  return (
    <Suspense fallback={<Loading label="Loading repositories…" />}>
      <RepositoryBrowser />
    </Suspense>
  )
}
