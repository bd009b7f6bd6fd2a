'use client'
// /tokens: the user's access tokens (and the robot tokens of organizations they own), a form to create
// one, and the new token's secret, shown once.
import { useState } from 'react'
import { accountUrls, type AccessToken, type CreatedToken, type OrganizationSummary } from './accounts-api'
import { useApi } from './use-api'
import { useSession } from './use-session'
import { ErrorPanel, Loading } from '../page-states'
import { PageTitle, Section } from './parts'
import { CreateTokenForm } from './create-token-form'
import { TokenSecret } from './token-secret'
import { TokenTable } from './token-table'

export function TokensPage() {
  const tokens = useApi<{ tokens: AccessToken[] }>(accountUrls.tokens)
  const session = useSession()
  // administrators may limit a token to any organization; everyone else to theirs
  const admin = session.status === 'signed-in' && session.session.user.admin
  const all = useApi<{ organizations: OrganizationSummary[] }>(admin ? accountUrls.organizations : null)
  const organizations = admin ? (all.data?.organizations.map((o) => o.name) ?? []) : session.status === 'signed-in' ? session.session.organizations.map((o) => o.name) : []
  const [created, setCreated] = useState<CreatedToken | null>(null)
  const user = session.status === 'signed-in' ? session.session.user.name : 'USER'
  const showUser = !!tokens.data?.tokens.some((t) => t.user !== user)

  return (
    <div className="space-y-6">
      <PageTitle title="Access tokens">
        Tokens let docker, podman, skopeo and scripts sign in as you, limited to one organization and to pull or push. They cannot manage accounts.
      </PageTitle>
      <Section title="Create a token" id="create-token">
        <div className="space-y-4 px-5 py-4">
          {created ? (
            <TokenSecret secret={created.token} user={created.user ?? user} onDone={() => setCreated(null)} />
          ) : (
            <CreateTokenForm
              organizations={organizations}
              onCreated={async (t) => {
                setCreated(t)
                await tokens.reload()
              }}
            />
          )}
        </div>
      </Section>
      <Section title="Your tokens" id="token-list">
        {tokens.error ? <ErrorPanel error={tokens.error} onRetry={tokens.reload} /> : !tokens.data ? <Loading label="Loading tokens…" /> : <TokenTable tokens={tokens.data.tokens} showUser={showUser} onChanged={tokens.reload} />}
      </Section>
    </div>
  )
}
