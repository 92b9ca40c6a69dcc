import {Writable} from 'node:stream'

import {expect} from 'chai'

import {startSpinner} from '../../src/ui/progress.js'
import {shownLines as drawn} from '../helpers/pty.js'

/** A terminal of `columns` that keeps what was written to it. */
function terminal(columns: number): NodeJS.WriteStream & {written: () => string} {
  let written = ''
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString()
      done()
    },
  }) as unknown as NodeJS.WriteStream & {written: () => string}
  Object.assign(stream, {
    isTTY: true,
    columns,
    rows: 24,
    written: () => written,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  })
  return stream
}

const LONG = 'sync full: connecting to SQLite file /tmp/ident-amo-run-7MQLeP/ident-amo-sync-YPVn1G/clinic.sqlite…'

const shownLines = (raw: string) => drawn(raw).filter((line) => line !== '')

describe('ui: the spinner', () => {
  const saved = process.env.CI
  afterEach(() => {
    if (saved === undefined) delete process.env.CI
    else process.env.CI = saved
  })

  for (const ci of [false, true])
    it(`a text wider than the terminal is cut in the middle to fit it, on a terminal that ${ci ? 'does not animate (CI set): the line is printed' : 'animates'}`, () => {
      if (ci) process.env.CI = 'true'
      else delete process.env.CI
      const tty = terminal(60)
      const spinner = startSpinner(LONG, tty)
      spinner.text = `${LONG} (again)`
      spinner.stop()
      const lines = shownLines(tty.written())
      expect(lines.length, tty.written()).to.be.above(0)
      for (const line of lines) expect([...line].length, line).to.be.at.most(60)
      // the start and the end survive: what is being done, and the file name
      expect(lines.join('\n')).to.include('sync full: connecting').and.include('clinic.sqlite…')
      expect(spinner.text, 'text reads back uncut').to.equal(`${LONG} (again)`)
    })

  it('a text that fits is left whole', () => {
    process.env.CI = 'true'
    const tty = terminal(120)
    startSpinner(LONG, tty).stop()
    expect(shownLines(tty.written())).to.deep.equal([`- ${LONG}`])
  })
})
