import {stripVTControlCharacters} from 'node:util'

import {expect} from 'chai'

import type {PatientTestResult} from '../../src/commands/patient/test.js'
import type {DemoResult} from '../../src/commands/demo/index.js'
import {addVisit, localNow} from '../../src/sample/index.js'
import {expectExit, parseJson, runCli, startCli, tempHome, waitFor} from '../helpers/cli.js'
import {DEALS_ON, dealMapperFor, dealsByReception, dealsFixture, receptionsInWindow, stageId} from '../helpers/deals-fixture.js'
import {expectNarrow, startOnPty} from '../helpers/pty.js'
import type {SyncFixture} from '../helpers/sync-fixture.js'

/** The rows of a pipeline table printed by the demo: stage → its deal count. */
function pipelineTables(stdout: string): Array<Map<string, number>> {
  const text = stripVTControlCharacters(stdout)
  return text
    .split('the pipeline in amoCRM (the sandbox):')
    .slice(1)
    .map((part) => {
      const rows = new Map<string, number>()
      for (const line of part.split('\n').slice(1)) {
        if (line.startsWith('└')) break
        const cells = line
          .split('│')
          .map((c) => c.trim())
          .filter((c) => c !== '')
        if (cells.length >= 2 && /^\d+$/.test(cells[1]!)) rows.set(cells[0]!, Number(cells[1]))
      }
      return rows
    })
}

describe('e2e: deals for the people who use them (DEALS=on)', function () {
  this.timeout(240_000)

  describe('patient test', () => {
    let f: SyncFixture
    afterEach(async () => f?.close())

    it("shows the patient's receptions beside their deals, says what differs and what a sync would do, then syncs them", async () => {
      f = await dealsFixture({patients: 40})
      expectExit(await f.cli(['sync', 'full'], DEALS_ON), 0)
      const mapper = await dealMapperFor(f)
      // A patient with at least two receptions in the window, each with its deal.
      const byPatient = new Map<string, string[]>()
      for (const r of await receptionsInWindow(f)) byPatient.set(r.patientId, [...(byPatient.get(r.patientId) ?? []), r.id])
      const [patientId, receptionIds] = [...byPatient].find(([, ids]) => ids.length >= 2)!
      const deals = dealsByReception(f, mapper)
      const [edited, moved] = receptionIds.map((id) => deals.get(id)![0]!)
      // A manager changes the price of one deal and drags another to a stage of their own.
      f.sandbox.deals.updateLeads([{id: edited!.id, price: 1}])
      const managersStage = moved!.status_id === stageId(mapper, 'done') ? stageId(mapper, 'came') : stageId(mapper, 'done')
      f.sandbox.deals.moveLead(moved!.id, {status_id: managersStage})
      // And the desk books the patient again, next week.
      const nextWeek = localNow(new Date(Date.now() + 7 * 24 * 3600 * 1000)).slice(0, 11)
      const booked = String(
        addVisit(f.clinic.file, Number(patientId), {planStart: `${nextWeek}10:00:00`, planEnd: `${nextWeek}10:30:00`, appeared: false}),
      )

      const shown = await f.cli(['patient', 'test', '--patient-id', patientId, '--dry-run'], DEALS_ON)
      expectExit(shown, 0)
      expect(shown.stdout).to.include(`deals: ${receptionIds.length + 1} reception(s) in the window`)
      expect(shown.stdout).to.include(`reception ${booked} — no deal yet`)
      expect(shown.stdout).to.include(`reception ${receptionIds[0]} → deal`)

      const dry = parseJson<PatientTestResult>(await f.cli(['patient', 'test', '--patient-id', patientId, '--dry-run', '--json'], DEALS_ON))
      const byReception = new Map(dry.deals!.map((r) => [r.receptionId, r]))
      expect([...byReception.keys()].sort()).to.deep.equal([...receptionIds, booked].sort())
      const priceRow = byReception.get(receptionIds[0]!)!.fields.find((x) => x.key === 'price')!
      expect(priceRow).to.include({amo: '1', equal: false})
      expect(byReception.get(receptionIds[0]!)).to.include({dealId: edited!.id, match: 'link', action: 'update', moves: false})
      // The manager's stage is theirs: shown as different, but a sync leaves it (IDENT's stage did not change).
      const movedRow = byReception.get(receptionIds[1]!)!
      expect(movedRow.fields.find((x) => x.key === 'stage')!.equal).to.equal(false)
      expect(movedRow).to.include({dealId: moved!.id, moves: false})
      expect(movedRow.action).to.equal('unchanged')
      expect(byReception.get(booked)).to.include({dealId: null, match: 'none', action: 'create'})
      for (const id of receptionIds.slice(2)) expect(byReception.get(id)!.fields.every((x) => x.equal)).to.equal(true)
      expect(f.sandbox.deals.getLead(edited!.id)!.price, 'a dry run writes nothing').to.equal(1)

      const synced = parseJson<PatientTestResult>(await f.cli(['patient', 'test', '--patient-id', patientId, '--yes', '--json'], DEALS_ON))
      expect(synced.report!.deals).to.include({created: 1, updated: 1, failed: 0})
      expect(f.sandbox.deals.getLead(edited!.id)!.price).to.equal(Number(priceRow.ident))
      expect(f.sandbox.deals.getLead(moved!.id)!.status_id, "the manager's stage stays").to.equal(managersStage)
      const created = dealsByReception(f, mapper).get(booked)!
      expect(created).to.have.length(1)
      expect(created[0]!.status_id).to.equal(stageId(mapper, 'booked'))
      expect(created[0]!._embedded?.contacts?.map((c) => c.id)).to.deep.equal([synced.contactId])

      const again = parseJson<PatientTestResult>(
        await f.cli(['patient', 'test', '--patient-id', patientId, '--dry-run', '--json'], DEALS_ON),
      )
      expect(again.deals!.map((r) => r.action)).to.deep.equal(again.deals!.map(() => 'unchanged'))
    })

    it('with deals off, shows no deals and sends no deal request', async () => {
      f = await dealsFixture({patients: 12})
      expectExit(await f.cli(['sync', 'full']), 0)
      f.sandbox.resetStats()
      const result = parseJson<PatientTestResult>(await f.cli(['patient', 'test', '--patient-id', '3', '--dry-run', '--json']))
      expect(result.deals).to.equal(null)
      expect(f.sandbox.apiRequestCount({pathPrefix: '/api/v4/leads'})).to.equal(0)
    })
  })

  it('the sync summary with its deals column, and sync status with the deals side, fit an 80-column terminal', async () => {
    const f = await dealsFixture({patients: 30})
    try {
      const run = startOnPty(['sync', 'full'], {env: {...f.env, ...DEALS_ON}, cwd: f.home.root, columns: 80})
      expect((await run.exited).code, run.text()).to.equal(0)
      expectNarrow(run.screen(), 80)
      const text = run.text()
      const deals = f.sandbox.deals.countLeads()
      expect(deals).to.be.greaterThan(0)
      expect(text).to.match(/│\s+│ contacts │ deals │/)
      expect(text).to.match(new RegExp(`│ created\\s+│ 30\\s+│ ${deals}\\s+│`))
      expect(text).to.match(/│ out of window │ –\s+│ \d+\s+│/)

      const status = startOnPty(['sync', 'status'], {env: {...f.env, ...DEALS_ON}, cwd: f.home.root, columns: 80})
      expect((await status.exited).code, status.text()).to.equal(0)
      expectNarrow(status.screen(), 80)
      expect(status.text()).to.match(new RegExp(`linked receptions \\(deals\\)\\s+│ ${deals}\\s`))
      const json = parseJson<{deals: {links: number; pendingFailures: unknown[]} | null}>(
        await f.cli(['sync', 'status', '--json'], DEALS_ON),
      )
      expect(json.deals).to.deep.equal({links: deals, pendingFailures: []})
      const off = parseJson<{deals: unknown}>(await f.cli(['sync', 'status', '--json']))
      expect(off.deals, 'deals in the state are shown with DEALS off too').to.deep.equal({links: deals, pendingFailures: []})
    } finally {
      await f.close()
    }
  })

  it("sync watch: a pass line says the deals part's counts and the deals waiting for a retry", async () => {
    const f = await dealsFixture({patients: 30})
    const watch = startCli(['sync', 'watch'], {
      env: {...f.env, ...DEALS_ON, SYNC_INTERVAL_MINUTES: '0.02', SYNC_DEEP_TIMES: '03:00'},
      cwd: f.home.root,
    })
    try {
      const passes = () => watch.output().stderr.match(/(full|incremental|deep) pass: read .*/g) ?? []
      await waitFor(() => passes().length > 0, 60_000)
      const deals = f.sandbox.deals.countLeads()
      expect(deals).to.be.greaterThan(0)
      expect(passes()[0]).to.match(
        new RegExp(
          `^(full|incremental) pass: read 30, created 30, .*; deals: read ${deals}, created ${deals}, updated 0, moved 0, linked 0, skipped 0, failed 0, \\d+ requests, .*; failures pending 0, deal failures pending 0$`,
        ),
      )
    } finally {
      watch.child.kill('SIGINT')
      await watch.exited
      await f.close()
    }
  })

  it('demo --deals: bookings become deals, a patient comes, one cancels, one does not show; the pipeline after each step', async () => {
    const tmp = tempHome('ident-amo-demo-deals-').root
    const demo = await runCli(['demo', '--patients', '60', '--deals'], {env: {TMPDIR: tmp}, cwd: tmp})
    expectExit(demo, 0)
    expect(demo.stdout).to.include('all sample patients synced')
    const tables = pipelineTables(demo.stdout)
    // after the first import, after the day's edits, after the patient came and the cancellation, after the no-show
    expect(tables).to.have.length(4)
    const [, beforeDay, afterDesk, afterNoShow] = tables as [unknown, Map<string, number>, Map<string, number>, Map<string, number>]
    const change = (a: Map<string, number>, b: Map<string, number>, stage: string) => (b.get(stage) ?? 0) - (a.get(stage) ?? 0)
    expect(tables[0]!.get('all')).to.be.greaterThan(0)
    expect(change(beforeDay, afterDesk, 'Пациент пришёл'), 'the patient who came').to.equal(1)
    expect(change(beforeDay, afterDesk, 'Закрыто и не реализовано'), 'the cancellation').to.equal(1)
    expect(change(beforeDay, afterDesk, 'all'), 'the late booking').to.equal(1)
    expect(change(afterDesk, afterNoShow, 'Не пришёл'), 'the no-show, by time alone').to.equal(1)
    expect(change(afterDesk, afterNoShow, 'Записан')).to.equal(-1)
    expect(change(afterDesk, afterNoShow, 'all')).to.equal(0)

    const json = parseJson<DemoResult>(await runCli(['demo', '--patients', '10', '--deals', '--json'], {env: {TMPDIR: tmp}, cwd: tmp}))
    expect(json.allSynced).to.equal(true)
    expect(json.pipeline!.map((s) => s.stage)).to.include.members(['Записан', 'Пациент пришёл', 'Не пришёл'])
  })
})
