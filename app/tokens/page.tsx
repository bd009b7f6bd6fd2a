import type { Metadata } from 'next'
import { TokensPage } from '@/components/accounts/tokens-page'
import { requireSignedIn } from '@/lib/console/page-auth'

export const metadata: Metadata = { title: 'Access tokens' }

export default async function Tokens() {
  await requireSignedIn('/tokens')
  return <TokensPage />
}
