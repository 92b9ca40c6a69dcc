import {expect} from 'chai'

import {dateInZone, formatterFor, localRfc3339, midnightRfc3339, parseIsoDate, wallTime, wallTimeOfParts} from '../../src/fields/dates.js'
import {Random} from '../../src/sample/random.js'

/**
 * The straightforward `Intl` arithmetic, one `formatToParts` per question (with the same formatter):
 * what the faster code (`format` read back, each instant formatted once) must answer to the character.
 */
const reference = (() => {
  const wall = (epochMs: number, timeZone: string) => wallTimeOfParts(formatterFor(timeZone).formatToParts(new Date(epochMs)))
  const offset = (epochMs: number, timeZone: string) => {
    const w = wall(epochMs, timeZone)
    return Math.round((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(epochMs / 1000) * 1000) / 1000)
  }
  const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0')
  const date = (epochMs: number, timeZone: string) => {
    const w = wall(epochMs, timeZone)
    return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`
  }
  const zone = (offsetMinutes: number) =>
    `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`
  const midnight = (iso: string, timeZone: string) => {
    const [y, m, d] = iso.split('-').map(Number) as [number, number, number]
    const guess = Date.UTC(y, m - 1, d)
    const first = guess - offset(guess, timeZone) * 1000
    const second = guess - offset(first, timeZone) * 1000
    const onTheDay = [second, first].filter((t) => date(t, timeZone) === iso)
    const epoch = onTheDay.length === 0 ? second : Math.min(...onTheDay)
    const w = wall(epoch, timeZone)
    return `${iso}T${pad(w.hour)}:${pad(w.minute)}:00${zone(Math.floor(offset(epoch, timeZone) / 60))}`
  }
  const local = (naive: string, timeZone: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(naive)!
    const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
    const first = asUtc - offset(asUtc, timeZone) * 1000
    const epoch = asUtc - offset(first, timeZone) * 1000
    const w = wall(epoch, timeZone)
    return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${zone(Math.floor(offset(epoch, timeZone) / 60))}`
  }
  return {wall, offset, date, midnight, local}
})()

/** Russian zones (Moscow +02:00 in winter 1991/92, LMT with seconds before 1919), DST at 02:00, a half-hour DST, and jumps at midnight. */
const ZONES = [
  'Europe/Moscow',
  'Asia/Yekaterinburg',
  'Europe/Samara',
  'America/New_York',
  'Australia/Lord_Howe',
  'America/Sao_Paulo',
  'Asia/Beirut',
  'UTC',
]
const DAY = 86_400_000

function isoDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10)
}

describe('fields: dates in a timezone', () => {
  it('gives every birthday 1900–2030 the midnight the plain Intl arithmetic gives', () => {
    const start = Date.UTC(1900, 0, 1)
    const end = Date.UTC(2031, 0, 1)
    for (const [z, zone] of ZONES.entries()) {
      // Every tenth day (a different tenth in each zone), and every day of ten in which the offset moved.
      let compared = 0
      for (let t = start + z * DAY; t < end; t += 10 * DAY) {
        const moved = reference.offset(t, zone) !== reference.offset(t + 10 * DAY, zone)
        for (let day = t; day < t + (moved ? 10 : 1) * DAY; day += DAY) {
          const iso = isoDay(day)
          expect(midnightRfc3339(iso, zone), `${zone} ${iso}`).to.equal(reference.midnight(iso, zone))
          // The instant amoCRM gives such a date back as: its date is kept on the way (see `localMidnight`).
          const second = day - reference.offset(day - reference.offset(day, zone) * 1000, zone) * 1000
          expect(dateInZone(second, zone), `${zone} ${iso}`).to.equal(reference.date(second, zone))
          compared++
        }
      }
      expect(compared).to.be.greaterThan(4700)
    }
  })

  it('reads the wall time, date and local RFC 3339 of any instant as formatToParts does', () => {
    const rng = new Random(31)
    const start = Date.UTC(1890, 0, 1)
    const span = Date.UTC(2040, 0, 1) - start
    for (const zone of ZONES) {
      for (let i = 0; i < 1500; i++) {
        const t = start + Math.floor((rng.next() * span) / 1000) * 1000 + (rng.chance(0.2) ? rng.int(0, 999) : 0)
        expect(wallTime(t, zone), `${zone} ${t}`).to.deep.equal(reference.wall(t, zone))
        expect(dateInZone(t, zone), `${zone} ${t}`).to.equal(reference.date(t, zone))
        const naive = new Date(t - (t % 1000)).toISOString().replace('T', ' ').slice(0, 19)
        expect(localRfc3339(naive, zone), `${zone} ${naive}`).to.equal(reference.local(naive, zone))
      }
    }
  })

  it('reads years before the common era and after 9999 too', () => {
    for (const t of [Date.UTC(-500, 5, 1, 12), Date.UTC(0, 0, 1), Date.UTC(12_000, 0, 1), -8.64e15, 8.64e15])
      for (const zone of ZONES) expect(wallTime(t, zone), `${zone} ${t}`).to.deep.equal(reference.wall(t, zone))
  })

  it('accepts exactly the calendar dates a round trip through Date.UTC accepts, at the start of the trimmed text', () => {
    const roundTrip = (y: number, mo: number, d: number) => {
      const check = new Date(Date.UTC(y, mo - 1, d))
      return check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d
    }
    const years = [0, 1, 4, 99, 100, 104, 400, 1582, 1600, 1700, 1800, 1899, 1900, 1904, 2000, 2023, 2024, 2100, 2400, 9999]
    for (const y of years)
      for (let mo = 0; mo <= 13; mo++)
        for (let d = 0; d <= 32; d++) {
          const text = `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`
          expect(parseIsoDate(text), text).to.deep.equal(roundTrip(y, mo, d) ? [y, mo, d] : null)
        }
    const byPattern = (text: string) => {
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text.trim())
      return m && roundTrip(Number(m[1]), Number(m[2]), Number(m[3])) ? [Number(m[1]), Number(m[2]), Number(m[3])] : null
    }
    const rng = new Random(3)
    const pieces = ['2', '0', '9', '1', '-', '-', ' ', '/', ':', 'T', '\u0663', '０', 'a', '\n']
    const texts = ['', ' 2024-03-05 10:00:00 ', '2024-03-05T10:00', '2024-3-05', '2024-03-5', '2024/03/05', '+2024-03-05', '\t2024-02-29x']
    for (let i = 0; i < 20_000; i++) {
      let text = rng.chance(0.5) ? '2024-02-2' : ''
      for (let n = rng.int(0, 12); n > 0; n--) text += rng.pick(pieces)
      texts.push(text)
    }
    for (const text of texts) expect(parseIsoDate(text), JSON.stringify(text)).to.deep.equal(byPattern(text))
  })
})
