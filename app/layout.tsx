import './globals.css'
import type { Metadata } from 'next'
import type { ReactNode } from 'react'
import { SiteHeader } from '@/components/site-header'
import { FlashMessages } from '@/components/flash-messages'

export const metadata: Metadata = {
  title: { default: 'Stowage', template: '%s · Stowage' },
  description: 'Container image registry console',
  icons: { icon: '/favicon.svg' },
}

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <SiteHeader />
        <main className="mx-auto max-w-6xl px-4 py-8 sm:px-6">{children}</main>
        <FlashMessages />
      </body>
    </html>
  )
}
