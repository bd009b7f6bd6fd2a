'use client'
// Top bar: the product name and the two places a user goes, with the current one highlighted.
import Link from 'next/link'
import { usePathname } from 'next/navigation'
import { useEffect } from 'react'
import { Logo } from './logo'
import { useRegistryHost } from './use-registry-host'
import { isBusy, useUploadQueue } from './upload/upload-queue'

const NAV = [
  { href: '/', label: 'Repositories', active: (p: string) => p === '/' || p.startsWith('/repositories') },
  { href: '/upload', label: 'Upload', active: (p: string) => p.startsWith('/upload') },
]

export function SiteHeader() {
  const pathname = usePathname() ?? '/'
  const registry = useRegistryHost()
  const uploading = useUploadQueue().filter(isBusy).length
  // Leaving the console (not just this page) would cut the running uploads.
  useEffect(() => {
    if (!uploading) return
    const warn = (e: BeforeUnloadEvent) => e.preventDefault()
    window.addEventListener('beforeunload', warn)
    return () => window.removeEventListener('beforeunload', warn)
  }, [uploading])
  return (
    <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/90 backdrop-blur">
      <div className="mx-auto flex h-14 max-w-6xl items-center gap-8 px-4 sm:px-6">
        <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight text-slate-900">
          <Logo />
          <span className="text-lg">Stowage</span>
        </Link>
        <nav aria-label="Main" className="flex h-full items-stretch gap-1">
          {NAV.map((item) => {
            const active = item.active(pathname)
            return (
              <Link
                key={item.href}
                href={item.href}
                aria-current={active ? 'page' : undefined}
                className={`flex items-center border-b-2 px-3 text-sm font-medium transition-colors ${
                  active ? 'border-indigo-600 text-indigo-700' : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900'
                }`}
              >
                {item.label}
                {item.href === '/upload' && uploading > 0 && (
                  <span className="ml-2 rounded-full bg-indigo-600 px-1.5 py-0.5 text-[10px] leading-none font-semibold text-white" title={`${uploading} uploads running or waiting`}>
                    {uploading}
                  </span>
                )}
              </Link>
            )
          })}
        </nav>
        {registry && (
          <div className="ml-auto hidden items-center gap-2 text-xs text-slate-600 sm:flex" title="pull and push with docker, podman or skopeo at this address">
            registry
            <code className="rounded-md bg-slate-100 px-2 py-1 font-mono text-slate-700">{registry.host}</code>
          </div>
        )}
      </div>
    </header>
  )
}
