import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync} from 'node:fs'
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

  it('creates its directory 0700 and its file 0600', async function () {
    if (process.platform === 'win32') this.skip()
    const dir = mkdtempSync(path.join(tmpdir(), 'ident-amo-log-'))
    const file = path.join(dir, 'logs', 'sync.log')
    const {logger, close} = createFileLogger({file})
    logger.info('line')
    await close()
    expect((statSync(path.dirname(file)).mode & 0o777).toString(8)).to.equal('700')
    expect((statSync(file).mode & 0o777).toString(8)).to.equal('600')
  })
})

describe('log: a log that cannot be written never stops the caller', function () {
  this.timeout(30_000)

  it('a full disk (/dev/full): lines are dropped, one notice, and closing still completes', async function () {
    if (!existsSync('/dev/full')) this.skip()
    const notices: string[] = []
    const {logger, close} = createFileLogger({file: '/dev/full', warn: (text) => notices.push(text)})
    for (let i = 0; i < 50; i++) logger.info({patientId: String(i)}, 'line')
    await new Promise((resolve) => setTimeout(resolve, 100))
    for (let i = 0; i < 50; i++) logger.info({patientId: String(i)}, 'more')
    await close()
    expect(notices).to.have.length(1)
    expect(notices[0]).to.match(/cannot write the log \(\/dev\/full\): the disk is full; log lines are dropped/)
  })

  it('a log directory that cannot be made: one notice; once it can be, a minute later, lines are written again', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ident-amo-log-'))
    const blocker = path.join(root, 'logs')
    writeFileSync(blocker, 'a file where the directory should be')
    const file = path.join(blocker, 'sync.log')
    let now = Date.parse('2026-11-30T10:00:00Z')
    const notices: string[] = []
    const {logger, close} = createFileLogger({file, now: () => new Date(now), warn: (text) => notices.push(text)})
    logger.info('dropped')
    logger.info('dropped too')
    expect(notices).to.have.length(1)
    expect(notices[0]).to.include(`cannot write the log ${file}`)
    unlinkSync(blocker)
    now += 30_000
    logger.info('still dropped: the next try is a minute after the failure')
    expect(existsSync(file)).to.equal(false)
    now += 31_000
    logger.info({patientId: '7'}, 'written again')
    await close()
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(lines.map((l) => (JSON.parse(l) as {msg: string}).msg)).to.deep.equal(['written again'])
    expect(notices).to.have.length(1)
  })
})
