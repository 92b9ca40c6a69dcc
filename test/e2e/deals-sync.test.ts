import {expect} from 'chai'

import {LOST_STATUS_ID} from '../../src/amocrm/leads.js'
import {lossReasonFor} from '../../src/fields/index.js'
import type {SyncReport} from '../../src/sync/report.js'
import {expectExit, parseJson} from '../helpers/cli.js'
import {DEALS_ON, dealMapperFor, dealsByReception, dealsFixture, dealWrites, receptionsInWindow, stageId} from '../helpers/deals-fixture.js'
import {contactsByPatient, type SyncFixture} from '../helpers/sync-fixture.js'

async function sync(f: SyncFixture, mode: 'full' | 'incremental' | 'deep', env: Record<string, string> = {}): Promise<SyncReport> {
  const result = await f.cli(['sync', mode, '--json'], {...DEALS_ON, ...env})
  expectExit(result, 0)
  return parseJson<SyncReport>(result)
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
      // One create request per batch: the contact link travels in the create.
      expect(f.sandbox.apiRequestCount({pathPrefix: '/api/v4/leads/link'})).to.equal(0)
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
  })
})
