'use client'
// Top bar: the product name, the places a user goes (the current one highlighted; account pages only
// for signed-in users, Users, Audit and Storage only for administrators) and the account corner (user-menu.tsx).
import Link from 'next/link'
import { usePathname } from 'next/navigation'
import { useEffect } from 'react'
import { Logo } from './logo'
import { useRegistryHost } from './use-registry-host'
import { isBusy, useUploadQueue } from './upload/upload-queue'
import { UserMenu, type HeaderUser } from './account/user-menu'

// prefetch: only the everyday pages; the account pages are opened rarely and are not prefetched on every page view
type NavItem = { href: string; label: string; active: (p: string) => boolean; who: 'anyone' | 'signed-in' | 'admin'; prefetch?: false }
const under = (prefix: string) => (p: string) => p === prefix || p.startsWith(prefix + '/')
const NAV: NavItem[] = [
  { href: '/', label: 'Repositories', active: (p) => p === '/' || p.startsWith('/repositories'), who: 'anyone' },
  { href: '/upload', label: 'Upload', active: under('/upload'), who: 'signed-in' },
  { href: '/organizations', label: 'Organizations', active: under('/organizations'), prefetch: false, who: 'signed-in' },
  { href: '/tokens', label: 'Tokens', active: under('/tokens'), prefetch: false, who: 'signed-in' },
  { href: '/users', label: 'Users', active: under('/users'), prefetch: false, who: 'admin' },
  { href: '/audit', label: 'Audit', active: under('/audit'), prefetch: false, who: 'admin' },
  { href: '/storage', label: 'Storage', active: under('/storage'), prefetch: false, who: 'admin' },
]
const shown = (item: NavItem, user: HeaderUser) => item.who === 'anyone' || (!!user && (item.who === 'signed-in' || user.admin))

export function SiteHeader({ user }: { user: HeaderUser }) {
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
      <div className="mx-auto flex h-14 max-w-6xl items-center gap-3 px-4 sm:gap-6 sm:px-6">
        <Link href="/" className="flex shrink-0 items-center gap-2 font-semibold tracking-tight text-slate-900">
          <Logo />
          <span className="hidden text-lg min-[480px]:inline">Stowage</span>
        </Link>
        {/* more links than a phone's width: the row scrolls sideways instead of widening the page */}
        <nav aria-label="Main" className="flex h-full min-w-0 items-stretch gap-1 overflow-x-auto">
          {NAV.filter((item) => shown(item, user)).map((item) => {
            const active = item.active(pathname)
            return (
              <Link
                key={item.href}
                href={item.href}
                prefetch={item.prefetch}
                aria-current={active ? 'page' : undefined}
                className={`flex shrink-0 items-center border-b-2 px-2 text-sm sm:px-3 font-medium transition-colors ${
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
          <div className="ml-auto hidden shrink-0 items-center gap-2 text-xs text-slate-600 xl:flex" title="pull and push with docker, podman or skopeo at this address">
            registry
            <code className="rounded-md bg-slate-100 px-2 py-1 font-mono text-slate-700">{registry.host}</code>
          </div>
        )}
        <div className={registry ? 'ml-auto xl:ml-0' : 'ml-auto'}>
          <UserMenu user={user} />
        </div>
      </div>
    </header>
  )
}
