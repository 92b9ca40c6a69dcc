import {expect} from 'chai'

import {expectExit, parseJson} from '../helpers/cli.js'
import {readClinic, type SyncFixture, syncFixture} from '../helpers/sync-fixture.js'

describe('e2e: honest output', function () {
  this.timeout(120_000)
  let f: SyncFixture

  before(async () => {
    f = await syncFixture({patients: 80, seed: 21, createFields: false})
  })
  after(async () => f.close())

  it('a run that fails before doing anything prints the error only, not a table of zeros', async () => {
    const noFields = await f.cli(['sync', 'full'])
    expectExit(noFields, 1)
    expect(noFields.stderr).to.include('cannot be written in this amoCRM account')
    expect(noFields.stdout).not.to.include('created')

    expectExit(await f.cli(['fields', 'create']), 0)
    const refused = await f.cli(['sync', 'full'], {AMOCRM_ACCESS_TOKEN: 'not-a-valid-token'})
    expectExit(refused, 1)
    expect(refused.stderr).to.include('E_AUTH')
    expect(refused.stdout).not.to.include('created')
  })

  it('the summary says why amoCRM refused a value, in the same line', async () => {
    const result = await f.cli(['sync', 'full'])
    expectExit(result, 0)
    expect(result.stdout).to.match(
      /│ birthday\s+│ \d+\s+│ amoCRM does not store dates before 1970, so the contact was written without it │/,
    )
  })

  it('patient test marks a pre-1970 birthday amoCRM refused, and does not count it as a difference', async () => {
    const old = (await readClinic(f)).find((p) => p.birthday && p.birthday < '1970')
    expect(old, 'a patient born before 1970 in the sample clinic').to.not.equal(undefined)
    const result = await f.cli(['patient', 'test', '--patient-id', old!.id])
    expectExit(result, 0)
    expect(result.stdout).to.match(/Дата рождения\s+│ \d\d\.\d\d\.19[0-6]\d\s+│ refused by amoCRM \(dates before 1970\)/)
    expect(result.stdout).to.include('everything is in step: nothing to write')
    expect(result.stdout).not.to.match(/field\(s\) differ/)
    const json = parseJson<{action: string; fields: Array<{key: string; equal: boolean; refused?: string}>}>(
      await f.cli(['patient', 'test', '--patient-id', old!.id, '--json']),
    )
    expect(json.action).to.equal('unchanged')
    expect(json.fields.find((x) => x.key === 'birthday')).to.include({equal: false, refused: 'before_1970'})
  })
})
