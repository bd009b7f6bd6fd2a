import './globals.css'
import type { ReactNode } from 'react'

export const metadata = { title: 'Stowage', description: 'Container image registry console' }

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">{children}</body>
    </html>
  )
}
