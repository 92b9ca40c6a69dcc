import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {loadConfig} from '../../config/index.js'
import {AppError} from '../../errors.js'
import {
  addPatient,
  addPayment,
  addVisit,
  archivePatient,
  cancelReception,
  countSyncedContacts,
  DEFAULT_SAMPLE_SEED,
  findInterestingPatient,
  generateClinic,
  localNow,
  pipelineStageCounts,
  setReceptionStatus,
  type StageCount,
  upcomingBookings,
  updatePatient,
} from '../../sample/index.js'
import {type Sandbox, SANDBOX_TOKEN, startSandbox} from '../../sandbox/index.js'
import {pipelineTable} from '../../ui/deals.js'
import {chalk, formatDuration} from '../../ui/index.js'

export interface DemoResult {
  dir: string
  patients: number
  contacts: number
  allSynced: boolean
  interestingPatientId: string | null
  durationMs: number
  sandboxUrl: string
  /** With deals: the live deals of the deals pipeline per stage at the end of the tour. */
  pipeline: Array<{stage: string; deals: number}> | null
}

/**
 * How long after the tour enters it the demo's late booking becomes a no-show (its end plus the no-show
 * hours): long enough for the pass that creates its deal as booked — three times what the pass before
 * took, so that a busy machine only waits longer — and short enough to wait for.
 */
const NO_SHOW_AFTER = {minMs: 4000, passes: 3}

/**
 * The guided tour: everything runs on this machine — a generated clinic in SQLite, the built-in
 * amoCRM sandbox at 7 requests per second — and each step is the real command a clinic would run.
 */
export default class Demo extends BaseCommand<typeof Demo> {
  static override summary = 'A guided tour on a sample clinic and the built-in amoCRM sandbox: no account, SQL Server or network needed.'
  static override description = `Generates a sample IDENT database (about 2,000 patients) in a temporary directory, starts the built-in amoCRM sandbox (7 requests per second, like amoCRM), then runs the real commands one after another: fields create, sync full (with its progress and summary), patient test for a patient with a family phone and a debt, a few edits in IDENT followed by sync incremental, and sync status. With --deals the appointments become deals too (DEALS=on): fields create also makes the pipeline, its stages, the deal fields and the loss reasons; after the first import and each later step the pipeline is printed as a table of stages with their deals; and a day at the clinic follows — a patient comes, another cancels, and a booking nobody came to becomes a no-show by time alone (the tour waits a few seconds for that moment). It ends with the steps for a real clinic. Your own configuration and state are not touched: the tour uses its own temporary directory, removed when it ends (also on Ctrl+C). --keep keeps the directory and leaves the sandbox running so that you can try other commands against it.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --patients 500 --keep',
    '<%= config.bin %> <%= command.id %> --dir ./tour',
  ]
  static override flags = {
    patients: Flags.integer({description: 'how many sample patients', default: 2000, min: 10, max: 200_000}),
    dir: Flags.string({
      description: 'where to put the sample clinic, the configuration and the state (default: a new temporary directory)',
    }),
    keep: Flags.boolean({description: 'keep the directory, and the sandbox running at the end (Ctrl+C stops it)'}),
    seed: Flags.integer({description: 'random seed of the sample clinic', default: DEFAULT_SAMPLE_SEED}),
    deals: Flags.boolean({
      description: 'also turn appointments into deals (DEALS=on) and show a day at the clinic in the pipeline',
      allowNo: true,
      default: false,
    }),
  }

  async run(): Promise<DemoResult> {
    const started = Date.now()
    const dir = this.flags.dir ? path.resolve(this.flags.dir) : mkdtempSync(path.join(tmpdir(), 'ident-amo-demo-'))
    // A directory the tour made for itself goes when the tour ends, however it ends; one given with --dir stays.
    const removeDir = () => {
      if (!this.flags.dir && !this.flags.keep) rmSync(dir, {recursive: true, force: true})
    }
    process.once('exit', removeDir)
    // Ctrl+C reaches the step running in the foreground too; `kill` reaches only this process: pass it on.
    const onSignal = (signal: NodeJS.Signals) => {
      this.stoppedBy ??= signal
      this.child?.kill(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const home = {configDir: path.join(dir, 'config'), dataDir: path.join(dir, 'data')}
    mkdirSync(home.configDir, {recursive: true})
    mkdirSync(home.dataDir, {recursive: true})
    const clinicFile = path.join(dir, 'clinic.sqlite')

    this.step(1, `a sample clinic: ${this.flags.patients} patients in IDENT's schema (SQLite) → ${clinicFile}`)
    const clinic = generateClinic({patients: this.flags.patients, seed: this.flags.seed, file: clinicFile})
    this.log(
      `  ${clinic.counts.patients} patients, ${clinic.counts.receptions} appointments, ${clinic.counts.payments} payments, ${clinic.counts.orders} bills`,
    )

    this.step(2, 'the built-in amoCRM sandbox on 127.0.0.1, limited to 7 requests per second like amoCRM')
    const sandbox = await startSandbox({port: 0, rateLimit: 7, dataFile: path.join(dir, 'sandbox.json')})
    this.log(`  ${sandbox.url} (account "${sandbox.store.account.name}", timezone ${sandbox.store.account.timezone})`)
    const env: Record<string, string> = {
      IDENT_AMO_CONFIG_DIR: home.configDir,
      IDENT_AMO_DATA_DIR: home.dataDir,
      DB_CLIENT: 'sqlite',
      DB_FILE: clinicFile,
      AMOCRM_BASE_URL: sandbox.url,
      AMOCRM_ACCESS_TOKEN: SANDBOX_TOKEN,
      // Deals: the sample clinic's bookings are in this machine's local time.
      ...(this.flags.deals ? {DEALS: 'on', SYNC_TIMEZONE: Intl.DateTimeFormat().resolvedOptions().timeZone} : {}),
    }
    const config = () => loadConfig({configDir: home.configDir, dataDir: home.dataDir, env, cwd: dir})

    let result: DemoResult | undefined
    try {
      this.throwIfStopped()
      const deals = this.flags.deals
      this.step(
        3,
        deals
          ? 'create the mapped contact fields, and the pipeline, deal fields and loss reasons of the deals'
          : 'create the mapped contact fields in the account',
      )
      await this.runOwn(['fields', 'create'], env, dir)

      this.step(4, deals ? 'first full import: every patient a contact, every booking in the window a deal' : 'first full import')
      await this.runOwn(['sync', 'full'], env, dir)
      const patients = clinic.counts.patients
      const contacts = countSyncedContacts(sandbox)
      if (deals) this.showPipeline(sandbox)

      const interesting = await findInterestingPatient(config())
      if (interesting) {
        this.step(5, `one patient side by side: ${interesting.why}`)
        await this.runOwn(['patient', 'test', '--patient-id', interesting.id, '--dry-run'], env, dir)
      }

      this.step(6, 'the clinic works: a surname corrected, a visit, a payment, an archived patient, a new patient')
      updatePatient(clinicFile, 1, {persons: {SurName: 'Исправленная'}})
      addVisit(clinicFile, 2, {planStart: clinic.now.replace(/\d\d:\d\d:\d\d$/, '09:30:00'), appeared: true})
      addPayment(clinicFile, 3, {amount: 5000, at: clinic.now})
      archivePatient(clinicFile, 4, 'Переехал в другой город')
      addPatient(clinicFile, {
        surName: 'Новикова',
        name: 'Алёна',
        patronymic: 'Игоревна',
        mobilePhone: '8 (916) 555-44-33',
        birthday: '14.07.1992',
      })
      const incrementalStarted = Date.now()
      await this.runOwn(['sync', 'incremental'], env, dir)
      const incrementalMs = Date.now() - incrementalStarted
      if (deals) this.showPipeline(sandbox)

      let n = 7
      if (deals) {
        const noShowAfterMs = Math.max(NO_SHOW_AFTER.minMs, NO_SHOW_AFTER.passes * incrementalMs)
        await this.clinicDay(n, {clinicFile, config: config(), env, dir, sandbox, noShowAfterMs})
        n += 2
      }
      this.step(n, 'what the state says')
      await this.runOwn(['sync', 'status'], env, dir)

      const finalContacts = countSyncedContacts(sandbox)
      const allSynced = contacts >= patients && finalContacts >= patients + 1
      this.log('')
      if (allSynced)
        this.log(
          chalk.green(
            `✓ all sample patients synced: ${finalContacts} of ${patients + 1} patients have exactly one contact in the sandbox (${formatDuration(Date.now() - started)})`,
          ),
        )
      else this.log(chalk.red(`✗ only ${finalContacts} of ${patients + 1} patients have a contact`))
      this.nextSteps()
      result = {
        dir,
        patients: patients + 1,
        contacts: finalContacts,
        allSynced,
        interestingPatientId: interesting?.id ?? null,
        durationMs: Date.now() - started,
        sandboxUrl: sandbox.url,
        pipeline: deals ? pipelineStageCounts(sandbox).map((s) => ({stage: s.name, deals: s.deals})) : null,
      }
      if (!allSynced)
        throw new AppError('the demo did not sync every sample patient', {hint: `look at ${path.join(home.dataDir, 'logs', 'sync.log')}`})

      if (this.flags.keep) {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        await this.keepRunning(sandbox, env, dir)
      }
      return result
    } catch (error) {
      if (this.stoppedBy) {
        this.logToStderr(`demo stopped (${this.stoppedBy === 'SIGINT' ? 'Ctrl+C' : this.stoppedBy})`)
        this.exit(this.stoppedBy === 'SIGINT' ? 130 : 143)
      }
      throw error
    } finally {
      await sandbox.close()
      removeDir()
    }
  }

  /**
   * The deals side of the tour, two steps: a patient comes and another cancels, then — by time alone —
   * a booking nobody came to becomes a no-show. The pipeline is shown after each.
   */
  private async clinicDay(
    n: number,
    tour: {
      clinicFile: string
      config: ReturnType<typeof loadConfig>
      env: Record<string, string>
      dir: string
      sandbox: Sandbox
      noShowAfterMs: number
    },
  ): Promise<void> {
    const {clinicFile, config, env, dir, sandbox, noShowAfterMs} = tour
    const [comes, cancels] = await upcomingBookings(config, 2)
    // A booking whose end plus the no-show hours comes in a few seconds: it is still "booked" for the
    // next pass, and the pass after waits for that moment — nothing in IDENT changes in between.
    const noShowAt = Date.now() + noShowAfterMs
    const lateEnd = noShowAt - config.deals.noShowHours * 3_600_000
    const naive = (ms: number) => localNow(new Date(ms))
    const late = addVisit(clinicFile, 5, {planStart: naive(lateEnd - 30 * 60_000), planEnd: naive(lateEnd), appeared: false})
    const when = (naiveTime: string) => `${naiveTime.slice(8, 10)}.${naiveTime.slice(5, 7)} ${naiveTime.slice(11, 16)}`
    this.step(
      n,
      [
        'the day goes on: ',
        comes ? `patient ${comes.patientId} comes early for ${when(comes.planStart)}, ` : '',
        cancels ? `patient ${cancels.patientId} cancels ${when(cancels.planStart)} (ill), ` : '',
        `a ${when(naive(lateEnd - 30 * 60_000))} booking of patient 5 is entered late`,
      ].join(''),
    )
    if (comes) setReceptionStatus(clinicFile, comes.receptionId, {appeared: true})
    // A reason IDENT has, and amoCRM has as a loss reason since `fields create`: the deal is lost with it.
    if (cancels) cancelReception(clinicFile, cancels.receptionId, 'Пациент заболел', 'перенесёт, когда поправится')
    await this.runOwn(['sync', 'incremental'], env, dir)
    this.showPipeline(sandbox)
    if (comes) {
      this.log('')
      this.log(chalk.bold(`patient ${comes.patientId}'s deals side by side:`))
      await this.runOwn(['patient', 'test', '--patient-id', comes.patientId, '--dry-run'], env, dir)
    }

    const hours = config.deals.noShowHours
    this.step(
      n + 1,
      `time passes: ${hours} h after the end of reception ${late} nobody marked patient 5 as come — a no-show, with no change in IDENT`,
    )
    const wait = noShowAt - Date.now()
    if (wait > 0) {
      this.log(chalk.dim(`  (waiting ${Math.ceil(wait / 1000)} s for that moment)`))
      await new Promise((resolve) => setTimeout(resolve, wait + 1000))
    }
    this.throwIfStopped()
    await this.runOwn(['sync', 'incremental'], env, dir)
    this.showPipeline(sandbox)
  }

  /** The deals pipeline in the sandbox, a row per stage with its count and the change since it was last shown. */
  private showPipeline(sandbox: Sandbox): void {
    const stages = pipelineStageCounts(sandbox)
    this.log('')
    this.log(chalk.bold('the pipeline in amoCRM (the sandbox):'))
    this.log(pipelineTable(stages, this.shownPipeline))
    this.shownPipeline = stages
  }

  /** The pipeline as the tour last showed it. */
  private shownPipeline: StageCount[] | undefined

  /** The signal that stopped the tour, if one did. */
  private stoppedBy: NodeJS.Signals | undefined
  /** The step running now. */
  private child: ChildProcess | undefined

  private throwIfStopped(): void {
    if (this.stoppedBy) throw new AppError(`stopped by ${this.stoppedBy}`)
  }

  private step(n: number, text: string): void {
    this.log('')
    this.log(chalk.bold.cyan(`── ${n}. ${text}`))
  }

  /** Runs one of this CLI's commands as a child process, output straight to the terminal. */
  private runOwn(args: string[], env: Record<string, string>, cwd: string): Promise<void> {
    const bin = path.join(this.config.root, 'bin', 'run.js')
    this.log(chalk.dim(`$ ${this.config.bin} ${args.join(' ')}`))
    this.throwIfStopped()
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], {
        cwd,
        env: {...process.env, ...env},
        stdio: ['ignore', this.jsonEnabled() ? 'ignore' : 'inherit', 'inherit'],
      })
      this.child = child
      child.on('error', reject)
      child.on('close', (code) => {
        this.child = undefined
        if (code === 0 && !this.stoppedBy) resolve()
        else reject(new AppError(`\`${this.config.bin} ${args.join(' ')}\` failed with exit code ${code}`, {hint: 'see its message above'}))
      })
    })
  }

  private nextSteps(): void {
    const bin = this.config.bin
    this.log('')
    this.log(chalk.bold('For a real clinic:'))
    const steps: Array<[string, string]> = [
      [`${bin} config init`, 'the IDENT connection (read-only login, instance PZSQLSERVER) and the amoCRM account'],
      [`${bin} db check`, 'every table and column the tool reads is there; the login cannot write'],
      [`${bin} auth login`, "authorize the integration (or --token for a private integration's long-lived token)"],
      ...(this.flags.deals
        ? ([
            [
              `${bin} config set DEALS on`,
              'appointments → deals: fields check --fix then covers the pipeline, its stages, deal fields and loss reasons',
            ],
          ] as Array<[string, string]>)
        : []),
      [`${bin} fields check --fix`, 'find the contact fields and save their ids (fields create makes the missing ones)'],
      [`${bin} sync full`, 'the first import (safe to interrupt and re-run)'],
      [`${bin} sync watch`, 'keep it in step: every 2 minutes, and a deep pass at 08:00 and 20:00'],
    ]
    for (const [cmd, what] of steps) this.log(`  ${chalk.cyan(cmd.padEnd(34))} ${what}`)
  }

  private async keepRunning(sandbox: Sandbox, env: Record<string, string>, dir: string): Promise<void> {
    this.log('')
    this.log(chalk.bold(`The sample clinic, configuration and state stay in ${dir} (remove it when done).`))
    this.log(chalk.bold(`The sandbox keeps running at ${sandbox.url} — try other commands against it in another terminal:`))
    for (const [k, v] of Object.entries(env)) this.log(`  export ${k}=${v}`)
    this.log(`  ${this.config.bin} patient test --patient-id 5`)
    this.log('Ctrl+C stops it.')
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
  }
}
