import './globals.css'
import type { Metadata } from 'next'
import type { ReactNode } from 'react'
import { SiteHeader } from '@/components/site-header'
import { FlashMessages } from '@/components/flash-messages'
import { pagePrincipal } from '@/lib/console/page-auth'

// Every page renders per request: each carries its own CSP nonce (lib/http/page-headers.ts), which a
// prerendered page could not, and the header shows who is signed in.
export const dynamic = 'force-dynamic'

export const metadata: Metadata = {
  title: { default: 'Stowage', template: '%s · Stowage' },
  description: 'Container image registry console',
  icons: { icon: '/favicon.svg' },
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const principal = await pagePrincipal()
  const user = principal.kind === 'user' ? { name: principal.name, admin: principal.admin } : null
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <SiteHeader user={user} />
        <main className="mx-auto max-w-6xl px-4 py-8 sm:px-6">{children}</main>
        <FlashMessages />
      </body>
    </html>
  )
}
