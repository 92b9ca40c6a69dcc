import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {expect} from 'chai'

import {LOST_STATUS_ID} from '../../src/amocrm/leads.js'
import {contactNames, lossReasonFor} from '../../src/fields/index.js'
import type {SyncReport} from '../../src/sync/report.js'
import {addVisit, localNow, setReceptionStatus} from '../../src/sample/index.js'
import {expectExit, parseJson, startCli, waitFor} from '../helpers/cli.js'
import {DEALS_ON, dealMapperFor, dealsByReception, dealsFixture, dealWrites, receptionsInWindow, stageId} from '../helpers/deals-fixture.js'
import {contactsByPatient, readClinic, type SyncFixture} from '../helpers/sync-fixture.js'

async function sync(f: SyncFixture, mode: 'full' | 'incremental' | 'deep', env: Record<string, string> = {}): Promise<SyncReport> {
  const result = await f.cli(['sync', mode, '--json'], {...DEALS_ON, ...env})
  expectExit(result, 0)
  return parseJson<SyncReport>(result)
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  )
}

/** An hour before now (naive local): a `DateTimeChanged` well behind any watermark. */
function anHourAgo(): string {
  return naiveMinus(localNow(), 3_600_000)
}

function naiveMinus(naive: string, ms: number): string {
  return new Date(Date.parse(`${naive.replace(' ', 'T')}Z`) - ms).toISOString().slice(0, 19).replace('T', ' ')
}

/** Runs SQL on the sample clinic as IDENT's desk would. */
function clinicSql<T = unknown>(f: SyncFixture, sql: string, ...params: unknown[]): T {
  const db = new Database(f.clinic.file)
  try {
    const statement = db.prepare(sql)
    return (statement.reader ? statement.all(...params) : statement.run(...params)) as T
  } finally {
    db.close()
  }
}

function customValue(lead: {custom_fields_values: Array<{field_id: number; values: Array<{value?: unknown}>}> | null}, fieldId: number) {
  return lead.custom_fields_values?.find((cf) => cf.field_id === fieldId)?.values[0]?.value
}

/** The built CLI (`npm run build` first) against the sandbox and a generated clinic, DEALS=on. */
describe('e2e: appointments → deals (DEALS=on)', function () {
  this.timeout(240_000)

  describe('a first import and the passes after it', () => {
    let f: SyncFixture
    before(async () => {
      f = await dealsFixture({patients: 40, seed: 14})
    })
    after(async () => f.close())

    it('DEALS off sends no deal request and reports no deals; a dry run with deals on counts them and writes nothing', async () => {
      const off = await f.cli(['sync', 'full', '--dry-run', '--json'])
      expectExit(off, 0)
      expect(parseJson<SyncReport>(off)).to.not.have.property('deals')
      expect(f.sandbox.apiRequestCount({pathPrefix: '/api/v4/leads'})).to.equal(0)
      const dry = await f.cli(['sync', 'full', '--dry-run', '--json'], DEALS_ON)
      expectExit(dry, 0)
      const report = parseJson<SyncReport>(dry)
      expect(report.deals!.created).to.equal((await receptionsInWindow(f)).length)
      const lines = await f.cli(['sync', 'full', '--dry-run'], DEALS_ON)
      expectExit(lines, 0)
      const planned = lines.stdout.split('\n').filter((line) => /^create +reception \d+: name, /.test(line))
      expect(planned, 'a plan line per deal to create').to.have.length(report.deals!.created)
      expect(dealWrites(f)).to.equal(0)
      expect(f.sandbox.deals.countLeads()).to.equal(0)
    })

    it('the first import creates exactly one deal per reception of the window, at its stage, with its fields, linked to its contact', async () => {
      const report = await sync(f, 'full')
      const receptions = await receptionsInWindow(f)
      expect(receptions.length, 'the sample clinic has receptions in the window').to.be.greaterThan(10)
      expect(new Set(receptions.map((r) => r.stage)), 'every stage of the ladder is there').to.include.members([
        'booked',
        'came',
        'done',
        'paid',
        'cancelled',
        'no_show',
      ])
      expect(report.deals).to.include({read: receptions.length, created: receptions.length, failed: 0, duplicates: 0})
      expect(report.deals!.outOfWindow, 'older receptions are counted, not imported').to.be.greaterThan(0)

      const mapper = await dealMapperFor(f)
      const byReception = dealsByReception(f, mapper)
      const contacts = contactsByPatient(f)
      expect(f.sandbox.deals.countLeads()).to.equal(receptions.length)
      for (const r of receptions) {
        const deals = byReception.get(r.id) ?? []
        expect(deals, `reception ${r.id}`).to.have.length(1)
        const deal = deals[0]!
        expect(deal.pipeline_id).to.equal(mapper.context.pipelineId)
        expect(deal.status_id, `reception ${r.id} (${r.stage})`).to.equal(stageId(mapper, r.stage))
        expect(deal._embedded?.contacts?.map((c) => c.id)).to.deep.equal([contacts.get(r.patientId)![0]!.id])
        expect(deal.name).to.match(/^Приём \d\d\.\d\d\.\d{4} \d\d:\d\d — \S+/)
        expect(deal.name.slice(6, 16)).to.equal(r.planStart.slice(0, 10).split('-').reverse().join('.'))
        if (r.price !== undefined) expect(deal.price).to.equal(r.price)
        if (r.stage === 'cancelled') {
          expect(deal.status_id).to.equal(LOST_STATUS_ID)
          expect(deal.loss_reason_id).to.equal(lossReasonFor(mapper.context, r.cancelReason))
        }
        expect(mapper.differingKeys(mapper.desired(r, null), deal), `reception ${r.id}`).to.deep.equal([])
        const status = deal.custom_fields_values?.find((cf) => cf.field_id === mapper.context.fields.ident_status!.id)
        expect(status?.values[0]?.value).to.equal(r.identStatus)
      }
      // One create request per batch (250): the contact link travels in the create, no update, no /link.
      expect(f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/leads'})).to.equal(Math.ceil(receptions.length / 250))
      expect(f.sandbox.apiRequestCount({method: 'PATCH', pathPrefix: '/api/v4/leads'})).to.equal(0)
      expect(f.sandbox.apiRequestCount({pathPrefix: '/api/v4/leads/link'})).to.equal(0)
      expect(f.sandbox.apiRequestCount({pathPrefix: '/api/v4/leads/complex'})).to.equal(0)
    })

    it("no deal's name (the patient's surname and initials) is kept in the state or the log", async () => {
      const names = new Set<string>()
      for (const lead of f.sandbox.deals.listLeads()) {
        const who = lead.name.split(' — ')[1]
        if (who && who.length >= 6) names.add(who)
      }
      expect(names.size).to.be.greaterThan(5)
      for (const dir of [f.home.dataDir, f.home.configDir])
        for (const file of filesUnder(dir)) {
          const text = readFileSync(file).toString('utf8')
          for (const name of names) expect(text.includes(name), `${name} in ${path.basename(file)}`).to.equal(false)
        }
    })

    it('re-running changes nothing, and an incremental pass with nothing changed sends no request at all', async () => {
      f.sandbox.resetStats()
      const full = await sync(f, 'full')
      expect(full.deals).to.include({created: 0, updated: 0, moved: 0, linked: 0, failed: 0})
      expect(full.deals!.unchanged).to.equal(full.deals!.read)
      expect(dealWrites(f)).to.equal(0)
      f.sandbox.resetStats()
      const incremental = await sync(f, 'incremental')
      expect(incremental.api.requests).to.equal(0)
      expect(f.sandbox.requests).to.have.length(0)
      expect(incremental.deals).to.include({created: 0, updated: 0, moved: 0, failed: 0})
    })

    it('a cancellation closes the deal as lost with the reason; incremental sees it though only the status columns changed', async () => {
      const mapper = await dealMapperFor(f)
      const booked = (await receptionsInWindow(f)).find((r) => r.stage === 'booked')!
      const [reason] = clinicSql<Array<{ID: number; Name: string}>>(f, 'SELECT ID, Name FROM ReceptionCancelReasons ORDER BY ID LIMIT 1')
      // IDENT sets the cancel columns and leaves DateTimeChanged as it was (an hour old here: behind the watermark).
      clinicSql(
        f,
        'UPDATE Receptions SET ReceptionCanceled = ?, ID_ReceptionCancelReasons = ?, CancelReasonComment = ?, DateTimeChanged = ? WHERE ID = ?',
        localNow(),
        reason!.ID,
        'Перезвонит сам',
        anHourAgo(),
        Number(booked.id),
      )
      const report = await sync(f, 'incremental')
      // Receptions changed within the watermark's overlap are read again and found unchanged.
      expect(report.deals).to.include({updated: 1, moved: 1, created: 0, failed: 0})
      const deal = dealsByReception(f, mapper).get(booked.id)![0]!
      expect(deal.status_id).to.equal(LOST_STATUS_ID)
      const lossReason = f.sandbox.deals.listLossReasons().find((r) => r.id === deal.loss_reason_id)
      expect(lossReason?.name).to.equal(reason!.Name)
      expect(customValue(deal, mapper.context.fields.cancel_reason!.id)).to.equal(`${reason!.Name}: Перезвонит сам`)
      expect(customValue(deal, mapper.context.fields.ident_status!.id)).to.equal('Отменён')
    })

    it("a deal a manager moved stays where they put it until IDENT's status changes", async () => {
      const mapper = await dealMapperFor(f)
      const booked = (await receptionsInWindow(f)).find((r) => r.stage === 'booked')!
      const deal = dealsByReception(f, mapper).get(booked.id)![0]!
      const managersStage = stageId(mapper, 'done')
      f.sandbox.deals.moveLead(deal.id, {status_id: managersStage})
      // The manager also blanks a field IDENT owns: deep puts it back, and leaves the stage alone.
      f.sandbox.deals.updateLeads([{id: deal.id, custom_fields_values: [{field_id: mapper.context.fields.ident_status!.id, values: null}]}])
      for (const mode of ['incremental', 'full', 'deep'] as const) {
        const report = await sync(f, mode)
        expect(report.deals!.moved, mode).to.equal(0)
        expect(f.sandbox.deals.getLead(deal.id)!.status_id, mode).to.equal(managersStage)
      }
      expect(customValue(f.sandbox.deals.getLead(deal.id)!, mapper.context.fields.ident_status!.id)).to.equal('Записан')

      setReceptionStatus(f.clinic.file, Number(booked.id), {appeared: true})
      clinicSql(f, 'UPDATE Receptions SET DateTimeChanged = ? WHERE ID = ?', anHourAgo(), Number(booked.id))
      const report = await sync(f, 'incremental')
      expect(report.deals).to.include({moved: 1, failed: 0})
      const moved = f.sandbox.deals.getLead(deal.id)!
      expect(moved.status_id).to.equal(stageId(mapper, 'came'))
      expect(customValue(moved, mapper.context.fields.ident_status!.id)).to.equal('Пришёл')
    })

    it('a no-show moves by time alone: no row changes, the next pass after its end plus the grace hours moves it', async () => {
      const mapper = await dealMapperFor(f)
      const patientId = (await receptionsInWindow(f))[0]!.patientId
      const now = localNow()
      const end = naiveMinus(now, -20_000)
      const receptionId = addVisit(f.clinic.file, Number(patientId), {
        planStart: naiveMinus(now, 30 * 60_000),
        planEnd: end,
        appeared: false,
        changedAt: anHourAgo(),
      })
      const noGrace = {DEALS_NO_SHOW_HOURS: '0'}
      await sync(f, 'full', noGrace)
      const deal = dealsByReception(f, mapper).get(String(receptionId))![0]!
      expect(deal.status_id, 'booked while its end is ahead').to.equal(stageId(mapper, 'booked'))
      await waitFor(() => localNow() > end, 60_000, 250)
      const report = await sync(f, 'incremental', noGrace)
      expect(report.deals).to.include({moved: 1, failed: 0})
      const noShow = f.sandbox.deals.getLead(deal.id)!
      expect(noShow.status_id).to.equal(stageId(mapper, 'no_show'))
      expect(customValue(noShow, mapper.context.fields.ident_status!.id)).to.equal('Не пришёл')
    })
    it('deep re-creates a deal deleted in the CRM while its reception is booked, and reports the others', async () => {
      const mapper = await dealMapperFor(f)
      const receptions = await receptionsInWindow(f)
      const booked = receptions.find((r) => r.stage === 'booked')!
      const done = receptions.find((r) => r.stage === 'done')!
      const byReception = dealsByReception(f, mapper)
      for (const r of [booked, done]) f.sandbox.deals.deleteLead(byReception.get(r.id)![0]!.id)
      const report = await sync(f, 'deep')
      expect(report.deals).to.include({created: 1, failed: 0})
      const after = dealsByReception(f, mapper)
      expect(after.get(booked.id)).to.have.length(1)
      expect(after.get(done.id) ?? []).to.have.length(0)
      expect(report.failures.find((x) => x.receptionId === done.id)).to.include({reason: 'deal_deleted'})
    })
  })

  describe('claiming a manager’s deal', () => {
    let f: SyncFixture
    before(async () => {
      f = await dealsFixture({patients: 12, seed: 15})
    })
    after(async () => f.close())

    it("the patient's first new booking claims the oldest open deal a manager made for the contact; the next booking gets a deal of its own", async () => {
      await sync(f, 'full')
      const mapper = await dealMapperFor(f)
      const [patientId, [contact]] = [...contactsByPatient(f)][0]!
      const booked = stageId(mapper, 'booked')
      const [older] = f.sandbox.deals.createLeads([
        {
          name: 'Звонок: хочет на чистку',
          pipeline_id: mapper.context.pipelineId,
          status_id: booked,
          _embedded: {contacts: [{id: contact!.id}]},
        },
      ])
      const [newer] = f.sandbox.deals.createLeads([
        {name: 'Звонок: повторно', pipeline_id: mapper.context.pipelineId, status_id: booked, _embedded: {contacts: [{id: contact!.id}]}},
      ])
      const tomorrow = `${naiveMinus(localNow(), -86_400_000).slice(0, 10)} 10:00:00`
      const dayAfter = `${naiveMinus(localNow(), -2 * 86_400_000).slice(0, 10)} 10:00:00`
      // Added in the reverse order: the first by time claims, not the first by id.
      const second = addVisit(f.clinic.file, Number(patientId), {
        planStart: dayAfter,
        planEnd: dayAfter.replace('10:00', '11:00'),
        appeared: false,
      })
      const first = addVisit(f.clinic.file, Number(patientId), {
        planStart: tomorrow,
        planEnd: tomorrow.replace('10:00', '11:00'),
        appeared: false,
      })
      const before = f.sandbox.deals.countLeads()

      const report = await sync(f, 'incremental')
      expect(report.deals).to.include({read: 2, linked: 1, created: 1, failed: 0})
      expect(f.sandbox.deals.countLeads()).to.equal(before + 1)
      const byReception = dealsByReception(f, mapper)
      expect(byReception.get(String(first))!.map((d) => d.id)).to.deep.equal([older!.id])
      expect(byReception.get(String(second))!.map((d) => d.id)).to.not.include(newer!.id)
      expect(mapper.receptionIdOf(f.sandbox.deals.getLead(newer!.id)!), 'the other open deal is left alone').to.equal(null)
      const claimed = f.sandbox.deals.getLead(older!.id)!
      expect(claimed.name).to.match(/^Приём /)
      expect(claimed._embedded?.contacts?.map((c) => c.id)).to.deep.equal([contact!.id])

      const again = await sync(f, 'full')
      expect(again.deals).to.include({created: 0, linked: 0, updated: 0})
    })
  })

  describe('a patient whose contact failed', () => {
    let f: SyncFixture
    before(async () => {
      f = await dealsFixture({patients: 20, seed: 17})
    })
    after(async () => f.close())

    it("skips the patient's receptions with the reason no_contact, and the run after the contact is made writes their deals", async () => {
      const receptions = await receptionsInWindow(f)
      const patientId = receptions[0]!.patientId
      const theirs = receptions.filter((r) => r.patientId === patientId).map((r) => r.id)
      const patient = (await readClinic(f)).find((p) => p.id === patientId)!
      f.sandbox.settings.refuseValues = [contactNames(patient).name]
      const first = await f.cli(['sync', 'full', '--json'], DEALS_ON)
      expectExit(first, 3)
      const report = parseJson<SyncReport>(first)
      expect(report.deals).to.include({created: receptions.length - theirs.length, skipped: theirs.length, failed: 0})
      expect(report.failures.filter((x) => x.reason === 'no_contact').map((x) => x.receptionId)).to.have.members(theirs)
      const mapper = await dealMapperFor(f)
      for (const id of theirs) expect(dealsByReception(f, mapper).get(id)).to.equal(undefined)

      f.sandbox.settings.refuseValues = []
      const next = await sync(f, 'incremental')
      expect(next.deals).to.include({created: theirs.length, failed: 0})
      const byReception = dealsByReception(f, mapper)
      for (const id of theirs) expect(byReception.get(id)).to.have.length(1)
    })
  })

  describe('a batch amoCRM refuses an element of', () => {
    let f: SyncFixture
    before(async () => {
      f = await dealsFixture({patients: 20, seed: 19})
    })
    after(async () => f.close())

    it('fails only the deals amoCRM refused (a contact deleted in the CRM), writes the rest, and deep mends them', async () => {
      await f.cli(['sync', 'full'])
      const receptions = await receptionsInWindow(f)
      const patientId = receptions[0]!.patientId
      const theirs = receptions.filter((r) => r.patientId === patientId).map((r) => r.id)
      // A manager deletes the patient's contact: an incremental pass trusts its link, so the deal's link is refused.
      f.sandbox.store.deleteContact(contactsByPatient(f).get(patientId)![0]!.id)
      const result = await f.cli(['sync', 'incremental', '--json'], DEALS_ON)
      expectExit(result, 3)
      const report = parseJson<SyncReport>(result)
      expect(report.deals).to.include({created: receptions.length - theirs.length, failed: theirs.length})
      expect(report.failures.filter((x) => x.reason === 'validation').map((x) => x.receptionId)).to.have.members(theirs)
      expect(f.sandbox.deals.countLeads()).to.equal(receptions.length - theirs.length)

      const deep = await sync(f, 'deep')
      expect(deep.deals).to.include({created: theirs.length, failed: 0})
      const mapper = await dealMapperFor(f)
      const byReception = dealsByReception(f, mapper)
      const contact = contactsByPatient(f).get(patientId)![0]!
      for (const id of theirs) expect(byReception.get(id)![0]!._embedded?.contacts?.map((c) => c.id)).to.deep.equal([contact.id])
    })

    it('never moves a deal out of a protected stage; the others move as IDENT says', async () => {
      const mapper = await dealMapperFor(f)
      const protectedStage = stageId(mapper, 'done')
      expectExit(await f.cli(['config', 'set', 'deals.protected_stages', String(protectedStage)]), 0)
      const [kept, free] = (await receptionsInWindow(f)).filter((r) => r.stage === 'booked')
      const byReception = dealsByReception(f, mapper)
      const keptDeal = byReception.get(kept!.id)![0]!
      const freeDeal = byReception.get(free!.id)![0]!
      f.sandbox.deals.moveLead(keptDeal.id, {status_id: protectedStage})
      for (const r of [kept!, free!]) {
        setReceptionStatus(f.clinic.file, Number(r.id), {appeared: true})
        clinicSql(f, 'UPDATE Receptions SET DateTimeChanged = ? WHERE ID = ?', anHourAgo(), Number(r.id))
      }
      const report = await sync(f, 'incremental')
      expect(report.deals).to.include({moved: 1, failed: 0})
      const keptNow = f.sandbox.deals.getLead(keptDeal.id)!
      expect(keptNow.status_id).to.equal(protectedStage)
      expect(customValue(keptNow, mapper.context.fields.ident_status!.id), 'its fields are kept in step').to.equal('Пришёл')
      expect(f.sandbox.deals.getLead(freeDeal.id)!.status_id).to.equal(stageId(mapper, 'came'))
    })
  })

  describe('sync watch', () => {
    let f: SyncFixture
    before(async () => {
      f = await dealsFixture({patients: 15, seed: 18})
    })
    after(async () => f.close())

    it('imports the deals on its first pass and moves a deal when the patient comes', async () => {
      const receptions = await receptionsInWindow(f)
      const booked = receptions.find((r) => r.stage === 'booked')!
      const watch = startCli(['sync', 'watch'], {
        env: {...f.env, ...DEALS_ON, SYNC_INTERVAL_MINUTES: '0.02', SYNC_DEEP_TIMES: '03:00'},
        cwd: f.home.root,
      })
      try {
        await waitFor(() => /deals: read \d+, created \d+/.test(watch.output().stderr), 60_000)
        expect(f.sandbox.deals.countLeads()).to.equal(receptions.length)
        const mapper = await dealMapperFor(f)
        const deal = dealsByReception(f, mapper).get(booked.id)![0]!
        setReceptionStatus(f.clinic.file, Number(booked.id), {appeared: true})
        await waitFor(() => f.sandbox.deals.getLead(deal.id)!.status_id === stageId(mapper, 'came'), 60_000, 200)
      } finally {
        watch.child.kill('SIGINT')
      }
      const ended = await watch.exited
      expect(ended.code, ended.stderr).to.equal(130)
      expect(f.sandbox.deals.countLeads()).to.equal(receptions.length)
    })
  })

  describe('faults and kill -9', () => {
    /** So that a signal sent after the second deal batch arrives finds batches still to send. */
    const ONE_IN_FLIGHT = {AMOCRM_CONCURRENCY: '1'}
    let f: SyncFixture
    beforeEach(async () => {
      f = await dealsFixture({patients: 30, seed: 16})
    })
    afterEach(async () => f.close())

    async function expectOneDealEach(): Promise<void> {
      const mapper = await dealMapperFor(f)
      const byReception = dealsByReception(f, mapper)
      const receptions = await receptionsInWindow(f)
      for (const r of receptions) expect(byReception.get(r.id) ?? [], `reception ${r.id}`).to.have.length(1)
      expect(f.sandbox.deals.countLeads()).to.equal(receptions.length)
    }

    it('creates whose answer was lost (applied, then a 500 or a dropped connection) leave no duplicate deal', async () => {
      f.sandbox.faults.add({kind: 'apply-then-500', method: 'POST', path: '/api/v4/leads', times: 1})
      f.sandbox.faults.add({kind: 'apply-then-drop', method: 'POST', path: '/api/v4/leads', times: 1})
      const result = await f.cli(['sync', 'full', '--batch-size', '10', '--json'], DEALS_ON)
      expectExit(result, 0)
      const report = parseJson<SyncReport>(result)
      expect(report.deals!.failed).to.equal(0)
      expect(report.deals!.duplicates).to.equal(0)
      await expectOneDealEach()
    })

    it('Ctrl+C in the middle of the deals: exit 130 with what was done reported, and the next run finishes without a duplicate', async () => {
      f.sandbox.settings.latencyMs = 100
      // One batch in flight at a time (at 50 requests a second and 100 ms, five would be): the signal
      // comes while the second is answered, with batches of the deals not yet sent.
      const run = startCli(['sync', 'full', '--batch-size', '2', '--json'], {
        env: {...f.env, ...DEALS_ON, ...ONE_IN_FLIGHT},
        cwd: f.home.root,
      })
      await waitFor(() => f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/leads'}) >= 2, 60_000, 5)
      run.child.kill('SIGINT')
      const stopped = await run.exited
      f.sandbox.settings.latencyMs = 0
      expect(stopped.code, stopped.stderr).to.equal(130)
      const report = parseJson<SyncReport>(stopped)
      expect(report.deals!.created).to.be.greaterThan(0)
      expect(report.deals!.skipped, 'what was read and not sent').to.be.greaterThan(0)
      expect(f.sandbox.deals.countLeads()).to.equal(report.deals!.created)
      // No watermark yet (the first full pass was stopped): the next run is a full one again.
      const next = await sync(f, 'full')
      expect(next.deals!.failed).to.equal(0)
      await expectOneDealEach()
    })

    it('kill -9 in the middle of the deals leaves no duplicate deal: the next run links what was made', async () => {
      const run = startCli(['sync', 'full', '--batch-size', '2'], {env: {...f.env, ...DEALS_ON, ...ONE_IN_FLIGHT}, cwd: f.home.root})
      await waitFor(() => f.sandbox.apiRequestCount({method: 'POST', pathPrefix: '/api/v4/leads'}) >= 2, 60_000, 5)
      run.child.kill('SIGKILL')
      await run.exited
      const made = f.sandbox.deals.countLeads()
      expect(made, 'some deals were made before the kill').to.be.greaterThan(0)
      expect(made, 'killed before the last deal').to.be.lessThan((await receptionsInWindow(f)).length)
      const report = await sync(f, 'full')
      expect(report.deals!.failed).to.equal(0)
      await expectOneDealEach()
    })
  })
})
