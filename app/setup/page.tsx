// First start without STOWAGE_ADMIN_PASSWORD: the one-time link from the server's log creates the first
// administrator here (POST /api/setup; the token is checked there).
import type { Metadata } from 'next'
import Link from 'next/link'
import { SetupForm } from '@/components/account/setup-form'
import { consoleServices } from '@/lib/console/services'
import { needsSetup } from '@/lib/auth/first-admin'

export const metadata: Metadata = { title: 'Set up' }

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> }

export default async function SetupPage({ searchParams }: Props) {
  const token = (await searchParams).token
  const services = consoleServices()
  const needed = services ? await needsSetup(services.db) : false
  return (
    <section className="card mx-auto max-w-sm p-6" aria-labelledby="setup-title">
      <h1 id="setup-title" className="text-xl font-semibold text-slate-900">
        Create the first administrator
      </h1>
      {!needed ? (
        <p className="mt-3 text-sm text-slate-700" data-testid="setup-done">
          Stowage is set up already. <Link href="/sign-in" className="font-medium text-indigo-700 underline">Sign in</Link>
        </p>
      ) : typeof token !== 'string' || !token ? (
        <p className="mt-3 text-sm text-slate-700">This page needs the one-time link printed in the server&apos;s log (…/setup?token=…).</p>
      ) : (
        <SetupForm token={token} />
      )}
    </section>
  )
}
