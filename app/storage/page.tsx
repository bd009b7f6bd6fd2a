import type { Metadata } from 'next'
import { StoragePage } from '@/components/storage/storage-page'
import { requirePageAccess } from '@/lib/console/page-auth'
import { storagePageData } from '@/lib/console/storage-data'

export const metadata: Metadata = { title: 'Storage' }
export const dynamic = 'force-dynamic'

export default async function Storage() {
  // administrators only
  await requirePageAccess('manage', { kind: 'server' }, '/storage')
  const { data, error } = await storagePageData()
  return <StoragePage data={data} error={error} />
}
