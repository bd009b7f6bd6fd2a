// Entry point of retention policies: applies them (all, one, or those of an organization or a
// repository), or in a dry run lists exactly what applying them would delete. Per repository a policy
// covers: tags matching keepPattern are kept; of the others the keepLatest most recently updated are
// kept and the rest deleted; with untaggedDays, manifests untagged for longer (lib/gc/untagged.ts) are deleted
// by digest. Both lists are evaluated from one state of the repository before anything is deleted, so a
// dry run and a real run started on the same state list the same deletions. Each policy runs under its
// own lease, so two instances never apply the same policy at once. Deletes remove rows only; garbage
// collection frees the bytes.
import type { Services } from '../services'
import { acquireLease, withLease, type HeldLease } from '../db/leases'
import { chunks, yieldToEventLoop } from '../registry/bulk-sql'
import { recordAudit } from '../audit/audit-log'
import { lifecycleOf } from '../lifecycle/settings'
import { compileGlob } from './glob'
import { planTagDeletions, type TagRule } from './plan-tags'
import { findUntaggedManifests } from '../gc/untagged'
import { deleteTagsIfUnchanged, deleteUntaggedManifest, type DoomedTag } from './deletions'
import { policiesToRun, coveredRepositories, type PolicyRun, type CoveredRepository, type RetentionScope } from './coverage'

export type RetentionDeletion = { repository: string; tag: string | null; digest: string; reason: 'keep-latest' | 'untagged' }

export type RetentionResult = {
  dryRun: boolean
  policies: number
  /** tags (tag set) and untagged manifests (tag null) deleted, or that would be */
  deleted: RetentionDeletion[]
  kept: number
}

export type RetentionOptions = RetentionScope & {
  dryRun: boolean
  actor?: string | null
  /**
   * 'schedule' (default: the periodic job) skips a policy another instance is applying; 'manual' fails
   * with RetentionBusyError, before anything is deleted
   */
  trigger?: 'schedule' | 'manual'
}

/** A manual run asked for a policy that another run (maybe on another instance) is applying right now. */
export class RetentionBusyError extends Error {
  constructor(readonly policyId: number) {
    super(`retention policy ${policyId} is being applied by another run right now; try again when it has finished`)
    this.name = 'RetentionBusyError'
  }
}

const DAY_MS = 86_400_000
/** A lease outlives a stalled holder by at most this long; it is renewed every third of it. */
const LEASE_MS = 60_000
const TAG_PAGE = 200

export async function runRetention(services: Services, opts: RetentionOptions): Promise<RetentionResult> {
  const trigger = opts.trigger ?? 'schedule'
  const result: RetentionResult = { dryRun: opts.dryRun, policies: 0, deleted: [], kept: 0 }
  const now = new Date()
  const runs = await policiesToRun(services.db, opts)
  const add = (run: PolicyRun, outcome: PolicyOutcome) => {
    result.policies++
    result.deleted.push(...outcome.deleted)
    result.kept += outcome.kept
  }
  if (opts.dryRun) {
    // a dry run changes nothing, so it needs no lease
    for (const run of runs) add(run, await applyPolicy(services, run, true, now))
  } else if (trigger === 'manual') {
    // all or nothing: a busy policy is reported before anything is deleted
    await withLeases(services, runs, async () => {
      for (const run of runs) add(run, await applyPolicy(services, run, false, now))
    })
  } else {
    for (const run of runs) {
      const outcome = await withLease(services.db, leaseName(run), LEASE_MS, () => applyPolicy(services, run, false, now))
      if (!outcome) continue // another instance is applying it
      add(run, outcome.value)
      if (outcome.value.deleted.length) await auditScheduled(services, run, outcome.value.deleted, opts.actor ?? null)
    }
  }
  return result
}

const leaseName = (run: PolicyRun) => `retention:${run.policy.id}`

/** Holds the leases of every policy while `work` runs (renewed); RetentionBusyError when one is held elsewhere. */
async function withLeases(services: Services, runs: PolicyRun[], work: () => Promise<void>) {
  const held: HeldLease[] = []
  const timer = setInterval(() => held.forEach((l) => void l.renew().catch(() => {})), LEASE_MS / 3)
  timer.unref()
  try {
    for (const run of runs) {
      const lease = await acquireLease(services.db, leaseName(run), LEASE_MS)
      if (!lease) throw new RetentionBusyError(run.policy.id)
      held.push(lease)
    }
    await work()
  } finally {
    clearInterval(timer)
    await Promise.all(held.map((l) => l.release().catch(() => {})))
  }
}

type PolicyOutcome = { deleted: RetentionDeletion[]; kept: number }

async function applyPolicy(services: Services, run: PolicyRun, dryRun: boolean, now: Date): Promise<PolicyOutcome> {
  const { policy } = run
  const rules: Rules = {
    tags: policy.keepLatest === null ? null : { keepLatest: policy.keepLatest, keepPattern: policy.keepPattern ? compileGlob(policy.keepPattern) : null },
    // never younger than garbage collection's grace: an image pushed by digest a moment ago may be the
    // child an index push is about to name
    untaggedBefore: policy.untaggedDays === null ? null : new Date(now.getTime() - Math.max(policy.untaggedDays * DAY_MS, lifecycleOf(services).gcGraceSeconds * 1000)),
  }
  const out: PolicyOutcome = { deleted: [], kept: 0 }
  for await (const repo of coveredRepositories(services.db, run)) {
    await applyToRepository(services, rules, repo, dryRun, out)
    await yieldToEventLoop()
  }
  return out
}

type Rules = { tags: TagRule | null; untaggedBefore: Date | null }

async function applyToRepository(services: Services, rules: Rules, repo: CoveredRepository, dryRun: boolean, out: PolicyOutcome) {
  // both plans from the same state: deleting tags first must not add manifests to the untagged plan
  const cutoff = rules.untaggedBefore
  const untagged = cutoff ? await findUntaggedManifests(services.db, repo.id, cutoff) : []
  const tags = await loadTags(services, repo.id)
  const plan = rules.tags ? planTagDeletions(tags, rules.tags) : { keep: tags, remove: [] }
  out.kept += plan.keep.length

  const tagDeletion = (t: DoomedTag): RetentionDeletion => ({ repository: repo.name, tag: t.name, digest: t.digest, reason: 'keep-latest' })
  const manifestDeletion = (m: { digest: string }): RetentionDeletion => ({ repository: repo.name, tag: null, digest: m.digest, reason: 'untagged' })
  if (dryRun) {
    out.deleted.push(...plan.remove.map(tagDeletion), ...untagged.map(manifestDeletion))
    return
  }
  for (const batch of chunks(plan.remove)) {
    const deleted = await deleteTagsIfUnchanged(services, repo.id, batch)
    out.deleted.push(...deleted.map(tagDeletion))
    out.kept += batch.length - deleted.length // moved meanwhile: the tag stays
    await yieldToEventLoop()
  }
  for (const batch of chunks(untagged)) {
    for (const m of batch) if (await deleteUntaggedManifest(services, repo.id, m, cutoff!)) out.deleted.push(manifestDeletion(m))
    await yieldToEventLoop()
  }
}

type LoadedTag = DoomedTag & { updatedAt: Date }

/**
 * Every tag of the repository with what the plan needs, read in small pages (Prisma's result mapping
 * runs on the event loop: a page of 1000 rows with a relation took ~60 ms), digests by a second query.
 */
async function loadTags(services: Services, repositoryId: number): Promise<LoadedTag[]> {
  const tags: LoadedTag[] = []
  const digests = new Map<number, string>()
  for (let after: string | null = null; ; ) {
    const rows: { name: string; manifestId: number; updatedAt: Date }[] = await services.db.tag.findMany({
      where: { repositoryId, ...(after === null ? {} : { name: { gt: after } }) },
      orderBy: { name: 'asc' },
      take: TAG_PAGE,
      select: { name: true, manifestId: true, updatedAt: true },
    })
    const unknown = [...new Set(rows.map((r) => r.manifestId))].filter((id) => !digests.has(id))
    for (const part of chunks(unknown)) {
      for (const m of await services.db.manifest.findMany({ where: { id: { in: part } }, select: { id: true, digest: true } })) digests.set(m.id, m.digest)
    }
    for (const r of rows) {
      const digest = digests.get(r.manifestId)
      if (digest) tags.push({ name: r.name, manifestId: r.manifestId, updatedAt: r.updatedAt, digest })
    }
    await yieldToEventLoop()
    if (rows.length < TAG_PAGE) return tags
    after = rows[rows.length - 1].name
  }
}

/** A scheduled run that deleted something: one audit row per policy, in its organization's log. */
function auditScheduled(services: Services, run: PolicyRun, deleted: RetentionDeletion[], actor: string | null) {
  const tags = deleted.filter((d) => d.tag !== null).length
  return recordAudit(services, null, {
    action: 'retention.run',
    actor,
    organization: run.organization,
    target: run.policy.repository ?? run.organization,
    detail: { trigger: 'schedule', policyId: run.policy.id, tagsDeleted: tags, manifestsDeleted: deleted.length - tags },
  })
}
