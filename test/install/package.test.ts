import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {READMES} from '../../scripts/docs/render.js'
import {cliEnv, expectExit, ROOT} from '../helpers/cli.js'
import {expectProductionOnly, PATH_WITH_NODE, PRODUCTION_TREE_SCRIPT, type ProductionTree, run} from './run.js'

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {name: string; version: string}
const TARBALL = `${pkg.name}-${pkg.version}.tgz`

/**
 * `npm run test:package`: the npm package as a clinic installs it — `npm pack` (prepack builds dist/
 * and the oclif manifest), a global install of the tarball into a fresh prefix, then the installed
 * `ident-amo` runs with nothing but its production dependencies.
 */
describe('npm package: pack, install globally into a fresh prefix, run', function () {
  this.timeout(900_000)
  const work = mkdtempSync(path.join(tmpdir(), 'ident-amo-package-'))
  const prefix = path.join(work, 'prefix')
  const installed = path.join(prefix, 'lib', 'node_modules', pkg.name)
  const bin = path.join(prefix, 'bin', 'ident-amo')
  const env = cliEnv({PATH: PATH_WITH_NODE})

  after(() => rmSync(work, {recursive: true, force: true}))

  it(`npm pack makes ${TARBALL} holding bin/, dist/, the oclif manifest and the systemd unit, and no sources, tests or source maps`, async () => {
    const packed = await run('npm', ['pack', '--pack-destination', work], {cwd: ROOT, env})
    expectExit(packed, 0)
    expect(readdirSync(work)).to.include(TARBALL)
    const listing = await run('tar', ['-tzf', path.join(work, TARBALL)])
    const files = listing.stdout.trim().split('\n')
    expect(files).to.include.members([
      'package/bin/run.js',
      'package/oclif.manifest.json',
      'package/dist/commands/sync/watch.js',
      'package/deploy/ident-amo.service',
    ])
    expect(files.filter((f) => /^package\/(src|test|scripts|node_modules)\//.test(f) || f.endsWith('.map'))).to.deep.equal([])
  })

  it(`npm install -g ./${TARBALL} installs it into a fresh prefix with production dependencies only`, async () => {
    const install = await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', `./${TARBALL}`], {cwd: work, env})
    expectExit(install, 0)
    const tree = await run(process.execPath, [PRODUCTION_TREE_SCRIPT, installed])
    expectExit(tree, 0)
    expectProductionOnly(JSON.parse(tree.stdout) as ProductionTree)
  })

  it('the installed ident-amo prints its version', async () => {
    const version = await run(bin, ['--version'], {cwd: work, env})
    expectExit(version, 0)
    expect(version.stdout).to.match(new RegExp(`^${pkg.name}/${pkg.version.replaceAll('.', '\\.')} `))
  })

  it('the installed ident-amo runs the demo (fields create, sync full, patient test, sync incremental, sync status)', async () => {
    const home = path.join(work, 'home')
    const demo = await run(bin, ['demo'], {
      cwd: work,
      env: {...env, IDENT_AMO_CONFIG_DIR: path.join(home, 'config'), IDENT_AMO_DATA_DIR: path.join(home, 'data')},
    })
    expectExit(demo, 0)
    expect(demo.stdout).to.include('all sample patients synced')
  })

  for (const {file} of READMES)
    it(`${file}'s install section is what ran here`, () => {
      const readme = readFileSync(path.join(ROOT, file), 'utf8')
      expect(readme).to.include(['```sh', `npm install -g ./${TARBALL}`, 'ident-amo --version', 'ident-amo demo', '```'].join('\n'))
    })
})
