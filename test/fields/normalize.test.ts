import {expect} from 'chai'
import {parsePhoneNumberFromString} from 'libphonenumber-js/max'
import {stripVTControlCharacters} from 'node:util'

import {charLength, normalizePhone, printableText, russianNumber} from '../../src/fields/normalize.js'
import {Random} from '../../src/sample/random.js'

/** What libphonenumber alone says of a text: the answer the fast path must reproduce. */
function libphonenumberSays(text: string): {e164: string; type: 'mobile' | 'landline'} | null {
  try {
    const parsed = parsePhoneNumberFromString(text.trim(), 'RU')
    if (!parsed?.isValid()) return null
    const kind = parsed.getType()
    const mobile = kind === 'MOBILE' || kind === 'FIXED_LINE_OR_MOBILE' || kind === 'PAGER'
    return {e164: parsed.number, type: mobile ? 'mobile' : 'landline'}
  } catch {
    return null
  }
}

/** The ways the sample clinic (src/sample/generate.ts) writes a 10-digit national number. */
const CLINIC_STYLES: Array<(d: string) => string> = [
  (d) => `8 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`,
  (d) => `+7 ${d.slice(0, 3)} ${d.slice(3)}`,
  (d) => d,
  (d) => `8-${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`,
  (d) => `+7 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`,
  (d) => `8${d}`,
  (d) => `+7${d}`,
  (d) => `7 ${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6, 8)} ${d.slice(8)}`,
  (d) => ` ${d.slice(0, 3)} ${d.slice(3, 6)}-${d.slice(6)} `,
]

function digits(rng: Random, n: number): string {
  let out = ''
  for (let i = 0; i < n; i++) out += String(rng.int(0, 9))
  return out
}

/** A number with separators, brackets and prefixes sprinkled anywhere, some of them not a phone at all. */
function scribbled(rng: Random): string {
  const national = rng.chance(0.6)
    ? `9${digits(rng, 9)}`
    : rng.chance(0.5)
      ? `${rng.pick(['495', '812', '343', '846', '401', '301'])}${digits(rng, 7)}`
      : digits(rng, rng.int(8, 12))
  const prefix = rng.pick(['', '', '8', '7', '+7', '+8', '+', '+9', '0', '(8)', '8 ', '+7 ', '+ 7', '7-', '(+7)', '-'])
  const separators = ['', '', '', ' ', '-', '(', ')', '  ', '--', '.', '/', ' (', ') ']
  let text = rng.pick(['', '', ' ', '(', '-'])
  for (const ch of prefix + national) text += ch + (rng.chance(0.3) ? rng.pick(separators) : '')
  return text + rng.pick(['', '', ' ', ')', '-', ' доб. 12', '#'])
}

/** Checks `normalizePhone` — and the shortcut, where it answers — against libphonenumber; true when the shortcut answered. */
function agreesWithLibphonenumber(text: string): boolean {
  const expected = libphonenumberSays(text)
  const quick = russianNumber(text.trim())
  if (quick) expect(quick, JSON.stringify(text)).to.deep.equal(expected)
  expect(normalizePhone(text), JSON.stringify(text)).to.deep.equal(expected)
  return quick !== null
}

/** `perCode` numbers of every area code from `first` to `last`, each in every clinic style. */
function* clinicNumbers(rng: Random, first: number, last: number, perCode: number): Generator<string> {
  for (let code = first; code <= last; code++)
    for (let i = 0; i < perCode; i++) for (const style of CLINIC_STYLES) yield style(`${code}${digits(rng, 7)}`)
}

describe('fields: phone normalisation', () => {
  it('answers every clinic format of every Russian mobile code without libphonenumber, and as libphonenumber does', () => {
    let fast = 0
    for (const text of clinicNumbers(new Random(12), 900, 999, 20)) if (agreesWithLibphonenumber(text)) fast++
    // 93x is only partly a mobile range in libphonenumber's plan: those (and only those) take the slow path.
    expect(fast).to.equal(90 * 20 * CLINIC_STYLES.length)
  })

  it('answers a number of every area code as libphonenumber does, a Russian landline without it', () => {
    let fast = 0
    let russianLandlines = 0
    for (const text of clinicNumbers(new Random(13), 100, 899, 4)) {
      const parsed = parsePhoneNumberFromString(text.trim(), 'RU')
      if (parsed?.country === 'RU' && parsed.getType() === 'FIXED_LINE') russianLandlines++
      if (agreesWithLibphonenumber(text)) fast++
    }
    // Kazakhstan's +7 7xx and Russia's 80x service numbers take the slow path.
    expect(fast).to.equal(russianLandlines).and.to.be.greaterThan(2000)
  })

  it('gives libphonenumber’s answer for scribbled, foreign, landline and invalid numbers', () => {
    const rng = new Random(2026)
    let fast = 0
    for (let i = 0; i < 30_000; i++) if (agreesWithLibphonenumber(scribbled(rng))) fast++
    expect(fast).to.be.greaterThan(1000)
  })
})

describe('fields: printable text', () => {
  /** The four rewrites `printableText` makes, each time: what its shortcut for plain text must match. */
  function rewritten(text: string, keepLines: boolean): string {
    // eslint-disable-next-line no-control-regex -- the same character classes as the code under test
    const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g
    const out = stripVTControlCharacters(text).replaceAll(/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g, '')
    if (keepLines) return out.replaceAll('\u0085', '\n').replaceAll(control, '')
    return out.replaceAll(/[\t\n\r\u0085\u2028\u2029]/g, ' ').replaceAll(control, '')
  }

  it('removes and keeps exactly what the full rewrite does, for plain and for hostile text', () => {
    const rng = new Random(7)
    const pieces = ['Иванов', 'a', ' ', '1', 'ё', '\t', '\n', '\r', '\u0085', '\u2028', '\u2029', '\u0000', '\u001B[31m', '\u009B2J']
    pieces.push('\u001B]8;;http://x\u0007', '\u202E', '\u2066', '\uFEFF', '\u061C', '\u007F', '\u00A0', '😀', '\u200B', '\u001B')
    let plain = 0
    for (let i = 0; i < 20_000; i++) {
      let text = ''
      const special = rng.chance(0.5)
      for (let n = rng.int(0, 12); n > 0; n--) text += special ? rng.pick(pieces) : rng.pick(pieces.slice(0, 5))
      if (!special) plain++
      for (const keepLines of [false, true])
        expect(printableText(text, {keepLines}), JSON.stringify(text)).to.equal(rewritten(text, keepLines))
    }
    expect(plain).to.be.greaterThan(5000)
  })

  it('counts characters as code points: a surrogate pair is one, a lone surrogate one too', () => {
    const rng = new Random(8)
    const pieces = ['a', 'ё', ' ', '😀', '\uD83D', '\uDE00', '\uDE00\uD83D', '𝔸']
    for (let i = 0; i < 5000; i++) {
      let text = ''
      for (let n = rng.int(0, 10); n > 0; n--) text += rng.pick(pieces)
      expect(charLength(text), JSON.stringify(text)).to.equal([...text].length)
    }
  })
})
