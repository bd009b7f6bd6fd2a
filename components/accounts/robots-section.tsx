'use client'
// An organization's robot accounts ("<org>+<name>", for CI and deployments): their roles, and their
// access tokens. Owners create robots and their tokens; a robot never signs in with a password.
import { useState } from 'react'
import { accountsApi, accountUrls, type AccessToken, type CreatedToken, type Member, type Role } from './accounts-api'
import { useApi } from './use-api'
import { useAction } from './use-action'
import { Field, RoleBadge, RoleSelect, Section } from './parts'
import { FormRow } from './form-row'
import { CreateTokenForm } from './create-token-form'
import { TokenSecret } from './token-secret'
import { TokenTable } from './token-table'
import { userNameProblem } from '@/lib/auth/account-names'

export function RobotsSection({ organization, members, canManage, onChanged }: { organization: string; members: Member[]; canManage: boolean; onChanged: () => unknown }) {
  const robots = members.filter((m) => m.kind === 'robot')
  // robot tokens are listed to the organization's owners only
  const tokens = useApi<{ tokens: AccessToken[] }>(canManage ? accountUrls.tokens : null)
  const [created, setCreated] = useState<{ token: CreatedToken; robot: string } | null>(null)
  return (
    <Section title={`Robot accounts (${robots.length})`} id="robots">
      {robots.length === 0 ? (
        <p className="px-5 py-4 text-sm text-slate-600">No robot accounts. A robot has its own tokens, for CI jobs and deployments that should not use a person&apos;s account.</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {robots.map((r) => (
            <li key={r.user} className="space-y-3 px-5 py-3" data-testid="robot-row" data-user={r.user}>
              <div className="flex flex-wrap items-center justify-between gap-2">
                <span className="min-w-0 font-mono text-sm break-all text-slate-900">{r.user}</span>
                <RoleBadge role={r.role} />
              </div>
              {canManage && (
                <div className="space-y-3 rounded-lg border border-slate-200">
                  <TokenTable tokens={tokens.data?.tokens.filter((t) => t.user === r.user) ?? []} showOrganization={false} onChanged={tokens.reload} />
                  <div className="border-t border-slate-100 px-4 py-3">
                    {created?.robot === r.user ? (
                      <TokenSecret secret={created.token.token} user={r.user} onDone={() => setCreated(null)} />
                    ) : (
                      <CreateTokenForm
                        organizations={[organization]}
                        fixedOrganization={organization}
                        robot={r.user}
                        compact
                        idPrefix={`robot-token-${r.user.replace(/[^a-z0-9]/g, '-')}`}
                        onCreated={async (token) => {
                          setCreated({ token, robot: r.user })
                          await tokens.reload()
                        }}
                      />
                    )}
                  </div>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {canManage && <CreateRobot organization={organization} onCreated={onChanged} />}
    </Section>
  )
}

function CreateRobot({ organization, onCreated }: { organization: string; onCreated: () => unknown }) {
  const [name, setName] = useState('')
  const [role, setRole] = useState<Role>('push')
  const action = useAction()
  const problem = name.trim() ? userNameProblem(`${organization}+${name.trim()}`, 'robot') : null
  const submit = () =>
    action.run(async () => {
      await accountsApi.createRobot(organization, name.trim(), role)
      setName('')
      await onCreated()
    })
  return (
    <FormRow
      label="Create robot account"
      className="border-t border-slate-100 bg-slate-50/60 px-5 py-4"
      onSubmit={submit}
      submitLabel="Create robot"
      canSubmit={!action.busy && !!name.trim() && !problem}
      problem={problem}
      error={action.error}
    >
      <Field label={`Robot name (${organization}+…)`} htmlFor="robot-name" className="flex-[2] basis-48">
        <input id="robot-name" className="input font-mono" placeholder="ci" autoComplete="off" spellCheck={false} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label="Role" htmlFor="robot-role" className="flex-1 basis-32">
        <RoleSelect id="robot-role" value={role} onChange={setRole} />
      </Field>
    </FormRow>
  )
}
