'use client'
// An organization's members: each user's role; owners change roles, remove members and add users.
import { useState } from 'react'
import { accountsApi, type Member, type Role } from './accounts-api'
import { useAction } from './use-action'
import { ConfirmDialog } from '../confirm-dialog'
import { Field, RoleBadge, RoleSelect, Section } from './parts'
import { FormRow } from './form-row'

const ROLE_HELP: Record<Role, string> = { pull: 'pull — read', push: 'push — upload, push, delete tags', owner: 'owner — members, settings, delete' }

export function MembersSection({ organization, members, canManage, onChanged }: { organization: string; members: Member[]; canManage: boolean; onChanged: () => unknown }) {
  const people = members.filter((m) => m.kind !== 'robot')
  return (
    <Section title={`Members (${people.length})`} id="members">
      {people.length === 0 ? (
        <p className="px-5 py-4 text-sm text-slate-600">No members yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {people.map((m) => (
            <MemberRow key={m.user} organization={organization} member={m} canManage={canManage} onChanged={onChanged} />
          ))}
        </ul>
      )}
      {canManage && <AddMember organization={organization} onAdded={onChanged} />}
    </Section>
  )
}

function MemberRow({ organization, member, canManage, onChanged }: { organization: string; member: Member; canManage: boolean; onChanged: () => unknown }) {
  const [confirming, setConfirming] = useState(false)
  const { busy, error, run } = useAction()
  const act = (work: () => Promise<unknown>) =>
    run(async () => {
      await work()
      setConfirming(false)
      await onChanged()
    })
  return (
    <li className="px-5 py-3" data-testid="member-row" data-user={member.user}>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <span className="min-w-0 font-mono text-sm break-all text-slate-900">{member.user}</span>
        <div className="flex flex-wrap items-center gap-2">
          {canManage ? (
            <RoleSelect
              aria-label={`Role of ${member.user}`}
              className="input w-auto py-1.5"
              value={member.role}
              disabled={busy}
              onChange={(role) => act(() => accountsApi.setMember(organization, member.user, role))}
            />
          ) : (
            <RoleBadge role={member.role} />
          )}
          {canManage && (
            <button type="button" className="btn-danger-ghost" disabled={busy} onClick={() => setConfirming(true)} aria-label={`Remove ${member.user}`}>
              Remove
            </button>
          )}
        </div>
      </div>
      {!confirming && error && <p role="alert" className="mt-2 text-sm text-red-700">{error}</p>}
      <ConfirmDialog
        open={confirming}
        title={`Remove ${member.user} from ${organization}?`}
        confirmLabel="Remove member"
        busy={busy}
        error={error}
        onConfirm={() => act(() => accountsApi.removeMember(organization, member.user))}
        onCancel={() => setConfirming(false)}
      >
        <p>They lose access to the organization&apos;s private repositories; their access tokens stop working here.</p>
      </ConfirmDialog>
    </li>
  )
}

function AddMember({ organization, onAdded }: { organization: string; onAdded: () => unknown }) {
  const [user, setUser] = useState('')
  const [role, setRole] = useState<Role>('pull')
  const action = useAction()
  const submit = () =>
    action.run(async () => {
      await accountsApi.setMember(organization, user.trim(), role)
      setUser('')
      await onAdded()
    })
  return (
    <FormRow label="Add member" className="border-t border-slate-100 bg-slate-50/60 px-5 py-4" onSubmit={submit} submitLabel="Add member" canSubmit={!action.busy && !!user.trim()} error={action.error}>
      <Field label="User name" htmlFor="member-user" className="flex-[2] basis-48">
        <input id="member-user" className="input font-mono" placeholder="bob" autoComplete="off" spellCheck={false} value={user} onChange={(e) => setUser(e.target.value)} />
      </Field>
      <Field label="Role" htmlFor="member-role" className="flex-1 basis-48">
        <RoleSelect id="member-role" value={role} onChange={setRole} optionLabel={(r) => ROLE_HELP[r]} />
      </Field>
    </FormRow>
  )
}
