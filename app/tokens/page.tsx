import type { Metadata } from 'next'
import { TokensPage } from '@/components/accounts/tokens-page'

export const metadata: Metadata = { title: 'Access tokens' }

export default function Tokens() {
  return <TokensPage />
}
