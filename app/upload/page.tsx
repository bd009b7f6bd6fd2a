import type { Metadata } from 'next'
import { UploadPage } from '@/components/upload/upload-page'
import { requireSignedIn } from '@/lib/console/page-auth'

export const metadata: Metadata = { title: 'Upload' }

// signed-in users only: what they may upload into is decided per organization by the API
export default async function Upload() {
  await requireSignedIn('/upload')
  return <UploadPage />
}
