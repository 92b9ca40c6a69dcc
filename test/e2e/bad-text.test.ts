import {expect} from 'chai'

import type {SyncReport} from '../../src/sync/report.js'
import {expectExit, parseJson} from '../helpers/cli.js'
import {contactsByPatient, mapperFor, type SyncFixture, syncFixture, writeRequests} from '../helpers/sync-fixture.js'

const LONG = 9001
const HOSTILE = 9002

describe('e2e: over-long names and control characters in IDENT', function () {
  this.timeout(120_000)
  let f: SyncFixture

  before(async () => {
    f = await syncFixture({
      patients: 10,
      seed: 41,
      crafted: [
        {id: LONG, surName: 'Длинная'.repeat(40), name: 'Анна', patronymic: 'Сергеевна'},
        {
          id: HOSTILE,
          surName: 'Петров\u202E',
          name: '\u001b[31mПётр\u001b[0m',
          patronymic: 'Ильич\u0000',
          comment: 'строка\u0007 первая\nстрока вторая',
          cardNumber: 'K-\u0000\u001b]0;x\u000742',
        },
      ],
    })
  })
  after(async () => f.close())

  it('are written cut and cleaned, so they do not fail on every run', async () => {
    const first = await f.cli(['sync', 'full', '--json'])
    expectExit(first, 0)
    expect(parseJson<SyncReport>(first).counts).to.include({created: 12, failed: 0})

    const byPatient = contactsByPatient(f)
    const long = byPatient.get(String(LONG))![0]!
    expect([...long.name]).to.have.length(255)
    expect([...long.last_name]).to.have.length(255)
    expect(long.name.startsWith('ДлиннаяДлинная')).to.equal(true)
    const hostile = byPatient.get(String(HOSTILE))![0]!
    expect([hostile.name, hostile.first_name, hostile.last_name]).to.deep.equal(['Петров Пётр Ильич', 'Пётр Ильич', 'Петров'])
    const mapper = mapperFor(f)
    const value = (key: 'comment' | 'card_number') =>
      hostile.custom_fields_values?.find((cf) => cf.field_id === mapper.resolved[key]!.id)?.values[0]?.value
    expect(value('comment')).to.equal('строка первая\nстрока вторая')
    expect(value('card_number')).to.equal('K-42')

    f.sandbox.resetStats()
    const again = await f.cli(['sync', 'full', '--json'])
    expectExit(again, 0)
    expect(parseJson<SyncReport>(again).counts).to.include({unchanged: 12, updated: 0, failed: 0})
    expect(writeRequests(f)).to.equal(0)
  })
})
