import {existsSync} from 'node:fs'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {UsageError} from '../../errors.js'
import {type ClinicShape, DEFAULT_SAMPLE_SEED, generateClinic, type GeneratedClinic} from '../../sample/index.js'
import {formatDuration, renderTable} from '../../ui/index.js'

export interface DemoSeedResult extends GeneratedClinic {
  durationMs: number
}

export default class DemoSeed extends BaseCommand<typeof DemoSeed> {
  static override summary = 'Create a sample IDENT database (SQLite) with realistic patients.'
  static override description = `Writes a sample clinic in IDENT's schema to a SQLite file: Russian names (ё, hyphenated surnames, missing parts), families sharing a phone, phones typed in every common format (and some garbage), emails, birthdays before 1970 kept as text ДД.ММ.ГГГГ as real IDENT does (a few are no date at all), doctors who are Persons, archived patients, past, future and cancelled appointments (some visits marked only as started, ended or billed), chairs, services on bills, payments, debts and advances, discount cards, long comments. --shape old writes the shape this tool first assumed instead (birthdays as dates, doctors named in Staffs, PatientAppeared the only visit mark). The same --seed gives the same clinic. Read it with DB_CLIENT=sqlite DB_FILE=<file>.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --patients 2000 --out clinic.sqlite',
    '<%= config.bin %> <%= command.id %> --patients 100000 --out big.sqlite --seed 7 --force',
  ]
  static override flags = {
    patients: Flags.integer({description: 'how many patients', default: 2000, min: 1, max: 1_000_000}),
    out: Flags.string({description: 'the SQLite file to create', default: 'clinic.sqlite'}),
    seed: Flags.integer({
      description: 'random seed (same seed, same clinic; the default makes the clinic of `demo`)',
      default: DEFAULT_SAMPLE_SEED,
    }),
    force: Flags.boolean({description: 'replace the file if it exists'}),
    shape: Flags.string({
      description: 'real: as real IDENT databases are; old: birthdays as dates and doctors named in Staffs',
      options: ['real', 'old'],
      default: 'real',
    }),
  }

  async run(): Promise<DemoSeedResult> {
    const file = path.resolve(this.flags.out)
    if (existsSync(file) && !this.flags.force)
      throw new UsageError(`${file} already exists`, 'pass --force to replace it, or choose another --out')
    const started = Date.now()
    const clinic = generateClinic({patients: this.flags.patients, seed: this.flags.seed, file, shape: this.flags.shape as ClinicShape})
    const durationMs = Date.now() - started
    this.log(
      renderTable(
        ['table', 'rows'],
        [
          ['Patients', clinic.counts.patients],
          ['Receptions', clinic.counts.receptions],
          ['Orders', clinic.counts.orders],
          ['PaymentsIn', clinic.counts.payments],
          ['DiscountCards', clinic.counts.discountCards],
        ],
      ),
    )
    this.log(`sample clinic written to ${file} in ${formatDuration(durationMs)} (seed ${clinic.seed})`)
    this.log(`read it with: DB_CLIENT=sqlite DB_FILE=${path.relative(process.cwd(), file) || file} ${this.config.bin} db check`)
    return {...clinic, durationMs}
  }
}
