import {existsSync, readdirSync, rmSync} from 'node:fs'

import {expect} from 'chai'

import {expectExit, runCli, startCli, tempHome, waitFor} from '../helpers/cli.js'
import {startOnPty} from '../helpers/pty.js'

describe('e2e: demo leaves nothing behind', function () {
  this.timeout(180_000)

  /** A temporary directory of its own for each run of the demo (its TMPDIR), to see what it leaves there. */
  const ownTmp = () => tempHome('ident-amo-demo-tmp-').root
  const demoDirs = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith('ident-amo-demo-'))

  it('removes its temporary directory when it ends', async () => {
    const tmp = ownTmp()
    const result = await runCli(['demo', '--patients', '10'], {env: {TMPDIR: tmp}, cwd: tmp})
    expectExit(result, 0)
    expect(result.stdout).to.include('all sample patients synced')
    expect(demoDirs(tmp)).to.deep.equal([])
  })

  it('removes it too when stopped with Ctrl+C typed on the terminal (exit 130)', async () => {
    const tmp = ownTmp()
    const run = startOnPty(['demo', '--patients', '400'], {env: {TMPDIR: tmp}, cwd: tmp})
    await waitFor(() => run.text().includes('── 4. first full import') && demoDirs(tmp).length === 1, 120_000)
    run.type('\x03')
    const ended = await run.exited
    expect(ended.code, run.text()).to.equal(130)
    expect(run.text()).to.include('demo stopped (Ctrl+C)')
    expect(demoDirs(tmp)).to.deep.equal([])
  })

  it('--keep keeps the directory and says where', async () => {
    const tmp = ownTmp()
    const demo = startCli(['demo', '--patients', '10', '--keep'], {env: {TMPDIR: tmp}, cwd: tmp})
    await waitFor(() => demo.output().stdout.includes('Ctrl+C stops it.'), 120_000)
    demo.child.kill('SIGINT')
    const ended = await demo.exited
    expect(ended.code, ended.stderr).to.equal(0)
    const [kept] = demoDirs(tmp)
    expect(kept, 'the kept directory').to.be.a('string')
    expect(ended.stdout).to.include(`stay in ${tmp}/${kept}`)
    expect(existsSync(`${tmp}/${kept}/clinic.sqlite`)).to.equal(true)
    rmSync(`${tmp}/${kept}`, {recursive: true, force: true})
  })
})
