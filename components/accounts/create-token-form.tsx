'use client'
// Creates an access token: a name, the organization it is limited to (or all of the user's), pull or
// push, and an optional expiry date. Used for the user's own tokens and for an organization's robots.
import { useState } from 'react'
import { accountsApi, type CreatedToken, type TokenAccess } from './accounts-api'
import { useAction } from './use-action'
import { Field, FormError } from './parts'

/** Tomorrow as yyyy-mm-dd: the earliest expiry the date input offers. */
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)

export function CreateTokenForm({
  organizations,
  fixedOrganization,
  robot,
  idPrefix = 'token',
  compact = false,
  onCreated,
}: {
  /** in a narrow column: two fields a row at most */
  compact?: boolean
  /** the organizations the token may be limited to */
  organizations: string[]
  /** a robot's token is always limited to the robot's organization */
  fixedOrganization?: string
  robot?: string
  idPrefix?: string
  onCreated: (token: CreatedToken) => unknown
}) {
  const [name, setName] = useState('')
  const [organization, setOrganization] = useState(fixedOrganization ?? '')
  const [access, setAccess] = useState<TokenAccess>('pull')
  const [expires, setExpires] = useState('')
  const { busy, error, run } = useAction()

  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    if (!name.trim()) return
    await run(async () => {
      // the token stops working at the end of the chosen day (UTC)
      const expiresAt = expires ? new Date(`${expires}T23:59:59.999Z`).toISOString() : null
      const created = await accountsApi.createToken({ name: name.trim(), organization: organization || null, access, expiresAt, ...(robot ? { robot } : {}) })
      setName('')
      setExpires('')
      await onCreated(created)
    })
  }

  return (
    <form onSubmit={submit} className="space-y-3" aria-label={robot ? `Create a token for ${robot}` : 'Create a token'}>
      <div className={`grid gap-3 sm:grid-cols-2 ${compact ? '' : 'lg:grid-cols-4'}`}>
        <Field label="Token name" htmlFor={`${idPrefix}-name`}>
          <input id={`${idPrefix}-name`} className="input" placeholder="ci-deploy" autoComplete="off" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Organization" htmlFor={`${idPrefix}-organization`}>
          <select id={`${idPrefix}-organization`} className="input" value={organization} disabled={!!fixedOrganization} onChange={(e) => setOrganization(e.target.value)}>
            {!fixedOrganization && <option value="">All my organizations</option>}
            {(fixedOrganization ? [fixedOrganization] : organizations).map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Access" htmlFor={`${idPrefix}-access`}>
          <select id={`${idPrefix}-access`} className="input" value={access} onChange={(e) => setAccess(e.target.value as TokenAccess)}>
            <option value="pull">pull (read)</option>
            <option value="push">push (read and write)</option>
          </select>
        </Field>
        <Field label="Expires" htmlFor={`${idPrefix}-expires`} hint="Empty: never">
          <input id={`${idPrefix}-expires`} type="date" className="input" min={tomorrow()} value={expires} onChange={(e) => setExpires(e.target.value)} />
        </Field>
      </div>
      <FormError message={error} />
      <button type="submit" className="btn-primary" disabled={busy || !name.trim()}>
        Create token
      </button>
    </form>
  )
}
