// Sign-in. Before any user exists it says where the one-time setup link is instead (first start).
import type { Metadata } from 'next'
import { redirect } from 'next/navigation'
import { SignInForm } from '@/components/account/sign-in-form'
import { pagePrincipal } from '@/lib/console/page-auth'
import { consoleServices } from '@/lib/console/services'
import { needsSetup } from '@/lib/auth/first-admin'
import { safeNext } from '@/lib/console/safe-next'

export const metadata: Metadata = { title: 'Sign in' }

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> }

export default async function SignInPage({ searchParams }: Props) {
  const next = safeNext((await searchParams).next)
  const services = consoleServices()
  if (services && (await needsSetup(services.db))) {
    return (
      <section className="card mx-auto max-w-md p-6" aria-labelledby="setup-needed">
        <h1 id="setup-needed" className="text-xl font-semibold text-slate-900">
          No administrator yet
        </h1>
        <p className="mt-3 text-sm text-slate-700" data-testid="setup-needed">
          No administrator yet: open the one-time setup link printed in the server&apos;s log (or start with <code className="font-mono">STOWAGE_ADMIN_PASSWORD=…</code>).
        </p>
      </section>
    )
  }
  // already signed in: straight on
  if ((await pagePrincipal(services)).kind === 'user') redirect(next)
  return (
    <section className="card mx-auto max-w-sm p-6" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" className="text-xl font-semibold text-slate-900">
        Sign in to Stowage
      </h1>
      <SignInForm next={next} />
    </section>
  )
}
