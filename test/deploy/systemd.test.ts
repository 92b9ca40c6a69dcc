import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {READMES} from '../../scripts/docs/render.js'
import {ROOT} from '../helpers/cli.js'

const UNIT = path.join(ROOT, 'deploy', 'ident-amo.service')

describe('deploy/ident-amo.service: the systemd unit of the README', () => {
  it('passes systemd-analyze verify without a single warning about it', function () {
    const analyze = spawnSync('systemd-analyze', ['verify', UNIT], {encoding: 'utf8'})
    if ((analyze.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      this.test!.title += ' — skipped: systemd-analyze is not installed (apt-get install systemd)'
      this.skip()
    }
    // verify exits 0 even for unknown keys and unparsable values: those are warnings naming the unit.
    const output = `${analyze.stdout}${analyze.stderr}`
    expect(analyze.status, output).to.equal(0)
    expect(
      output.split('\n').filter((line) => line.includes('ident-amo.service')),
      'warnings about the unit',
    ).to.deep.equal([])
  })

  for (const {file} of READMES)
    it(`${file} shows exactly this unit`, () => {
      const unit = readFileSync(UNIT, 'utf8')
      const readme = readFileSync(path.join(ROOT, file), 'utf8')
      expect(readme).to.include(`\`\`\`ini\n${unit}\`\`\``)
    })
})
