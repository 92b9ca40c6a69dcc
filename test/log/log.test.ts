import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {createFileLogger} from '../../src/log/index.js'

describe('log: the sync log file', function () {
  this.timeout(60_000)

  it('writes JSON lines and redacts obvious personal keys', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ident-amo-log-'))
    const file = path.join(dir, 'logs', 'sync.log')
    const {logger, close} = createFileLogger({file})
    logger.info({patientId: '42', counts: {read: 3}}, 'sync finished')
    logger.info({patientId: '43', phone: '+79251234567', name: 'Иванов'}, 'oops')
    await close()
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines[0]).to.include({patientId: '42', msg: 'sync finished'})
    expect(lines[1]).to.include({phone: '[redacted]', name: '[redacted]'})
  })

  it('rotates at 10 MB and removes rotated files older than 30 days', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ident-amo-log-'))
    const logs = path.join(dir, 'logs')
    mkdirSync(logs)
    const old = path.join(logs, 'sync.log.20260101-000000-1')
    const recent = path.join(logs, 'sync.log.20261120-000000-1')
    writeFileSync(old, '{}\n')
    writeFileSync(recent, '{}\n')
    const daysAgo = (d: number) => new Date(Date.now() - d * 24 * 3600 * 1000)
    utimesSync(old, daysAgo(31), daysAgo(31))
    utimesSync(recent, daysAgo(5), daysAgo(5))

    const {logger, close} = createFileLogger({file: path.join(logs, 'sync.log')})
    expect(existsSync(old), 'a file older than 30 days is removed').to.equal(false)
    expect(existsSync(recent), 'a recent one stays').to.equal(true)
    const filler = 'x'.repeat(1000)
    for (let i = 0; i < 11_000; i++) logger.info({patientId: String(i), filler}, 'line')
    await close()
    const rotated = readdirSync(logs).filter((n) => n.startsWith('sync.log.') && n !== path.basename(recent))
    expect(rotated.length, 'a rotated file appears after 10 MB').to.be.at.least(1)
    expect(readFileSync(path.join(logs, 'sync.log')).length).to.be.below(10 * 1024 * 1024)
  })
})
