import {copyFileSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import Database from 'better-sqlite3'

import {type AppConfig, type IdentRenames, loadConfig} from '../../src/config/index.js'
import {AppError} from '../../src/errors.js'
import {
  IDENT_COLUMNS,
  type IdentReader,
  type IdentTable,
  openIdent,
  type Patient,
  type ReadReceptionsOptions,
  type Reception,
  READ_TABLES,
  RECEPTION_COLUMNS,
  type ReceptionClock,
} from '../../src/ident/index.js'
import {type ExistingTables, resolveSchema} from '../../src/ident/schema.js'
import {type ClinicShape, type CraftedPatient, generateClinic, type GeneratedClinic} from '../../src/sample/index.js'

const created: string[] = []
process.once('exit', () => {
  for (const dir of created) rmSync(dir, {recursive: true, force: true})
})

/** A temporary directory, removed when the test process exits. */
export function tempDir(prefix = 'ident-amo-ident-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  created.push(dir)
  return dir
}

/** A copy of a clinic file with some DDL applied (the test's own connection; the reader never writes). */
export function alteredCopy(source: string, ddl: string): string {
  const file = path.join(tempDir(), 'altered.sqlite')
  copyFileSync(source, file)
  const db = new Database(file)
  db.exec(ddl)
  db.close()
  return file
}

/** The AppError an action fails with (anything else fails the test). */
export async function failure(action: () => Promise<unknown>): Promise<AppError> {
  try {
    await action()
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('did not fail')
}

/** A configuration that reads `file` with DB_CLIENT=sqlite, and optional renames. */
export function sqliteConfig(file: string, ident: Partial<IdentRenames> = {}): AppConfig {
  const root = tempDir('ident-amo-ident-config-')
  const config = loadConfig({
    configDir: path.join(root, 'config'),
    dataDir: path.join(root, 'data'),
    cwd: root,
    env: {DB_CLIENT: 'sqlite', DB_FILE: file},
  })
  config.ident = {tables: {...ident.tables}, columns: {...ident.columns}}
  return config
}

/**
 * A schema where every table and column either reader reads exists under its own name, but for the
 * `drop`ped ones (`Table.Column`, or a whole `Table`): what the pinned SQL Server statements compile against.
 */
export function schemaWith(options: {drop?: string[]} = {}) {
  const existing: ExistingTables = new Map()
  const columnsOf = (table: IdentTable) => [
    ...new Set([
      ...Object.keys((IDENT_COLUMNS as Record<string, object>)[table] ?? {}),
      ...Object.keys((RECEPTION_COLUMNS as Record<string, object>)[table] ?? {}),
    ]),
  ]
  for (const table of READ_TABLES) {
    if (options.drop?.includes(table)) continue
    const columns = columnsOf(table).filter((c) => !options.drop?.includes(`${table}.${c}`))
    existing.set(table.toLowerCase(), {name: table, columns})
  }
  return resolveSchema(existing, {tables: {}, columns: {}})
}

/** A statement as SQL Server gets it: the text and the bound values. */
export function compiled(q: {toSQL(): {toNative(): {sql: string; bindings: readonly unknown[]}}}) {
  const {sql, bindings} = q.toSQL().toNative()
  return {sql, bindings: [...bindings]}
}

export async function readAll(reader: IdentReader, options: Parameters<IdentReader['readPatients']>[0] = {}): Promise<Patient[]> {
  const out: Patient[] = []
  for await (const p of reader.readPatients(options)) out.push(p)
  return out
}

export async function readReceptions(
  reader: IdentReader,
  clock: ReceptionClock = DEALS_CLOCK,
  options: ReadReceptionsOptions = {},
): Promise<Reception[]> {
  const out: Reception[] = []
  for await (const r of reader.readReceptions(clock, options)) out.push(r)
  return out
}

export async function withReader<T>(config: AppConfig, action: (reader: IdentReader) => Promise<T>): Promise<T> {
  const reader = await openIdent(config)
  try {
    return await action(reader)
  } finally {
    await reader.close()
  }
}

/** The clinic's "now" for the crafted patients (generated rows are in the recent past of it). */
export const CLINIC_NOW = '2026-03-15 12:00:00'

/** The deals defaults at CLINIC_NOW: the window starts 2026-02-13 00:00:00, a no-show 2 hours after the end. */
export const DEALS_CLOCK: ReceptionClock = {now: CLINIC_NOW, historyDays: 30, noShowHours: 2}

const BELOVA = ['Белова', 'Ирина', 'Сергеевна'] as const
const KIM = ['Ким', 'Андрей', null] as const
/** Not one of the sample's doctors: created by the crafted rows (a Persons and a Staffs row, or a Staffs row). */
const NOVIKOV = ['Новиков', 'Олег', 'Петрович'] as const
export const BRANCH_MAIN = 'Стоматология «Улыбка» на Тверской'
export const BRANCH_KHIMKI = 'Филиал Химки'
export const BRANCH_BUTOVO = 'Филиал Бутово'

/**
 * Hand-written patients with hand-checked expectations (the ids are far from the generated ones).
 * Each expectation below is worked out from these rows by hand, not by running the reader.
 */
export const CRAFTED: Record<string, CraftedPatient & {id: number}> = {
  familyFather: {
    id: 9001,
    surName: 'Соколов',
    name: 'Игорь',
    patronymic: 'Петрович',
    phone: '8 (925) 111-22-33',
    sex: 1,
    changedAt: '2026-03-01 10:00:00',
  },
  familyMother: {
    id: 9002,
    surName: 'Соколова',
    name: 'Анна',
    patronymic: 'Игоревна',
    phone: '+7 925 1112233',
    mobilePhone: '',
    sex: 2,
    changedAt: '2026-03-01 10:05:00',
  },
  oldBirthday: {
    id: 9003,
    surName: 'Ёлкина-Петрова',
    name: 'Алёна',
    patronymic: 'Фёдоровна',
    sex: 2,
    birthday: '1961-04-12',
    email: 'ALENA.ELKINA@MAIL.RU',
    snils: '12345678901',
    inn: ' 770123456789 ',
    comment: '  Аллергия на лидокаин  ',
    cardNumber: '',
    smsRejection: true,
    changedAt: '2026-03-02 09:00:00',
  },
  archived: {
    id: 9004,
    surName: 'Морозов',
    name: 'Павел',
    patronymic: 'Ильич',
    archivingReason: 'Переезд в другой город',
    changedAt: '2026-03-03 09:00:00',
  },
  visits: {
    id: 9005,
    surName: 'Волков',
    name: 'Егор',
    patronymic: null,
    changedAt: '2026-03-04 09:00:00',
    firstVisit: '2025-01-10 10:00:00',
    receptions: [
      {planStart: '2025-01-10 10:00:00', appeared: true, doctor: BELOVA, changedAt: '2025-01-10 11:00:00'},
      {planStart: '2025-02-10 11:30:00', appeared: '2025-02-10 11:25:00', doctor: KIM, changedAt: '2025-02-10 12:00:00'},
      // Not visits: cancelled by date, cancelled by reason although marked as come, cancelled by date
      // although come, a future appointment, a no-show.
      {planStart: '2025-03-01 09:00:00', canceledAt: '2025-02-28 18:00:00', doctor: BELOVA, changedAt: '2025-02-28 18:00:00'},
      {planStart: '2025-03-05 09:00:00', appeared: true, cancelReason: 2, doctor: KIM, changedAt: '2025-03-05 09:10:00'},
      {planStart: '2025-03-06 09:00:00', appeared: true, canceledAt: '2025-03-06 08:00:00', doctor: KIM, changedAt: '2025-03-06 09:10:00'},
      {planStart: '2027-01-01 10:00:00', doctor: BELOVA, changedAt: '2026-03-04 10:00:00'},
      {planStart: '2025-02-20 15:00:00', doctor: BELOVA, changedAt: '2025-02-20 16:00:00'},
    ],
  },
  debtor: {
    id: 9006,
    surName: 'Должников',
    name: 'Семён',
    patronymic: 'Семёнович',
    initialBalance: -500,
    changedAt: '2026-03-05 09:00:00',
    orders: [{at: '2025-01-10 10:40:00', amount: 10000, amountWithDiscount: 9000, branch: BRANCH_KHIMKI, changedAt: '2025-01-10 10:40:00'}],
    payments: [{amount: 5000.55, at: '2025-01-10 10:45:00', branch: BRANCH_KHIMKI, changedAt: '2025-01-10 10:45:00'}],
  },
  advance: {
    id: 9007,
    surName: 'Авансова',
    name: 'Мария',
    patronymic: 'Львовна',
    initialBalance: 100.1,
    changedAt: '2026-03-06 09:00:00',
    orders: [{at: '2025-01-02 10:00:00', amount: 1100, amountWithDiscount: 1000.3, changedAt: '2025-01-02 10:00:00'}],
    payments: [
      {amount: 3000.2, at: '2025-01-01 10:00:00', changedAt: '2025-01-01 10:00:00'},
      {amount: 0.1, at: '2025-01-02 10:05:00', changedAt: '2026-03-10 08:00:00'},
    ],
  },
  discount: {
    id: 9008,
    surName: 'Скидкина',
    name: 'Ольга',
    changedAt: '2026-03-07 09:00:00',
    discountCards: [
      {percent: 5, changedAt: '2024-01-01 00:00:00'},
      {percent: 15, changedAt: '2025-06-01 00:00:00'},
      {percent: 10, changedAt: '2023-01-01 00:00:00'},
    ],
  },
  branchFromOrders: {
    id: 9009,
    surName: 'Филиалов',
    name: 'Глеб',
    changedAt: '2026-03-08 09:00:00',
    orders: [
      {at: '2025-05-01 10:00:00', amount: 1000, branch: BRANCH_BUTOVO, changedAt: '2025-05-01 10:00:00'},
      {at: '2025-06-01 10:00:00', amount: 1000, branch: BRANCH_KHIMKI, changedAt: '2025-06-01 10:00:00'},
      {at: '2025-07-01 10:00:00', amount: 1000, changedAt: '2025-07-01 10:00:00'},
    ],
    payments: [{amount: 3000, at: '2025-08-01 10:00:00', branch: BRANCH_MAIN, changedAt: '2025-08-01 10:00:00'}],
  },
  branchFromPayments: {
    id: 9010,
    surName: 'Платёжкин',
    name: 'Лев',
    changedAt: '2026-03-08 09:00:00',
    payments: [
      {amount: 100, at: '2025-02-01 10:00:00', branch: BRANCH_KHIMKI, changedAt: '2025-02-01 10:00:00'},
      {amount: 100, at: '2025-01-01 10:00:00', branch: BRANCH_BUTOVO, changedAt: '2025-01-01 10:00:00'},
    ],
  },
  emptyNames: {id: 9011, surName: '', name: '   ', patronymic: null, phone: 'нет', changedAt: '2026-03-09 09:00:00'},
  spaces: {id: 9012, surName: '  Иванов ', name: 'Иван', patronymic: ' Иванович', email: '', changedAt: '2026-03-09 09:30:00'},
  marks: {
    id: 9014,
    surName: 'Отметкин',
    name: 'Марк',
    changedAt: '2025-01-01 09:00:00',
    // Real shape: any of the four marks makes a visit unless cancelled. The old shape has only
    // PatientAppeared, so there only 04-04 is a visit.
    receptions: [
      {planStart: '2025-04-01 10:00:00', started: true, ended: '2025-04-01 10:40:00', doctor: KIM, changedAt: '2025-04-01 10:40:00'},
      {planStart: '2025-04-02 10:00:00', ended: true, doctor: NOVIKOV, changedAt: '2025-04-02 10:50:00'},
      {planStart: '2025-04-03 10:00:00', checkIssued: '2025-04-03 11:00:00', doctor: KIM, changedAt: '2025-04-03 11:00:00'},
      {planStart: '2025-04-04 10:00:00', appeared: true, doctor: BELOVA, changedAt: '2025-04-04 10:30:00'},
      {planStart: '2025-04-05 10:00:00', started: true, canceledAt: '2025-04-05 09:00:00', doctor: KIM, changedAt: '2025-04-05 09:00:00'},
      // A status set later than any DateTimeChanged of the patient's rows: the latest change.
      {planStart: '2025-04-06 10:00:00', ended: '2025-04-08 09:00:00', cancelReason: 1, doctor: KIM, changedAt: '2025-04-06 11:00:00'},
      {planStart: '2025-04-07 10:00:00', doctor: BELOVA, changedAt: '2025-04-06 12:00:00'},
    ],
  },
  textBirthday: {id: 9015, surName: 'Текстова', name: 'Дарья', birthday: ' 05.06.1977 ', changedAt: '2026-03-09 10:00:00'},
  shortBirthday: {id: 9016, surName: 'Краткий', name: 'Кирилл', birthday: '1.2.2003', changedAt: '2026-03-09 10:00:00'},
  badBirthday: {id: 9017, surName: 'Ошибкин', name: 'Олег', birthday: '31.02.1985', changedAt: '2026-03-09 10:00:00'},
  wordBirthday: {id: 9018, surName: 'Словов', name: 'Семён', birthday: 'не помнит', changedAt: '2026-03-09 10:00:00'},
  blankBirthday: {id: 9019, surName: 'Пустова', name: 'Полина', birthday: '   ', changedAt: '2026-03-09 10:00:00'},
  // Receptions for deals around CLINIC_NOW: with 30 days of history the window starts 2026-02-13 00:00:00,
  // and a reception with no sign of the patient is a no-show 2 hours after its end.
  deals: {
    id: 9020,
    surName: 'Сделкина',
    name: 'Вера',
    patronymic: 'Павловна',
    changedAt: '2026-03-01 09:00:00',
    receptions: [
      // A visit one second before the window: not read, but the receptions after it are no first visit.
      {
        planStart: '2026-02-12 23:59:59',
        planEnd: '2026-02-13 00:29:59',
        appeared: true,
        ended: true,
        doctor: BELOVA,
        changedAt: '2026-02-13 01:00:00',
      },
      {planStart: '2026-02-13 00:00:00', planEnd: '2026-02-13 00:30:00', doctor: BELOVA, changedAt: '2026-02-01 10:00:00'},
      {
        planStart: '2026-03-10 10:00:00',
        planEnd: '2026-03-10 11:00:00',
        appeared: '2026-03-10 09:55:00',
        started: true,
        ended: '2026-03-10 11:00:00',
        checkIssued: '2026-03-10 11:05:00',
        doctor: KIM,
        chair: {name: 'Кресло 2', branch: BRANCH_KHIMKI},
        orders: [
          {
            at: '2026-03-10 11:05:00',
            amountWithDiscount: 1710.5,
            branch: BRANCH_BUTOVO,
            services: [
              {name: 'Консультация стоматолога', price: 1000, count: 1},
              {name: 'Прицельный рентгеновский снимок', price: 450, count: 2},
            ],
            changedAt: '2026-03-10 11:05:00',
          },
          {
            at: '2026-03-10 11:20:00',
            amountWithDiscount: 450,
            branch: BRANCH_MAIN,
            services: [{name: 'Прицельный рентгеновский снимок', price: 450, count: 1}],
            changedAt: '2026-03-10 11:20:00',
          },
        ],
        changedAt: '2026-03-10 11:05:00',
      },
      {
        planStart: '2026-03-11 10:00:00',
        ended: '2026-03-11 10:45:00',
        doctor: NOVIKOV,
        orders: [{at: '2026-03-11 10:50:00', amountWithDiscount: 3000, branch: BRANCH_BUTOVO, changedAt: '2026-03-11 10:50:00'}],
        changedAt: '2026-03-11 10:45:00',
      },
      {
        planStart: '2026-03-15 12:30:00',
        planEnd: '2026-03-15 13:00:00',
        appeared: '2026-03-15 11:50:00',
        doctor: KIM,
        changedAt: '2026-03-15 11:50:00',
      },
      // Started after its last DateTimeChanged (IDENT did not touch it).
      {
        planStart: '2026-03-15 11:30:00',
        planEnd: '2026-03-15 12:30:00',
        appeared: '2026-03-15 11:25:00',
        started: '2026-03-15 11:31:00',
        doctor: BELOVA,
        changedAt: '2026-03-10 09:00:00',
      },
      {
        planStart: '2026-03-16 10:00:00',
        planEnd: '2026-03-16 11:00:00',
        canceledAt: '2026-03-14 18:00:00',
        cancelReason: 1,
        cancelComment: 'Температура',
        changedAt: '2026-03-14 18:00:00',
      },
      {planStart: '2026-03-17 10:00:00', canceledAt: '2026-03-14 19:00:00', cancelComment: '   ', changedAt: '2026-03-14 19:00:00'},
      {
        planStart: '2026-03-12 10:00:00',
        ended: true,
        checkIssued: '2026-03-12 11:00:00',
        cancelReason: 2,
        changedAt: '2026-03-12 11:00:00',
      },
      // The no-show boundary: end + 2 hours at now exactly is a no-show, a second later it is not yet.
      {planStart: '2026-03-15 09:30:00', planEnd: '2026-03-15 10:00:00', changedAt: '2026-03-01 10:00:00'},
      {planStart: '2026-03-15 09:30:01', planEnd: '2026-03-15 10:00:01', changedAt: '2026-03-01 10:00:00'},
      // No PlanEnd: timed from PlanStart.
      {planStart: '2026-03-15 09:59:59', changedAt: '2026-03-01 10:00:00'},
      {planStart: '2026-03-15 10:00:01', changedAt: '2026-03-01 10:00:00'},
      {planStart: '2026-04-01 09:00:00', planEnd: '2026-04-01 10:00:00', doctor: BELOVA, changedAt: '2026-03-02 10:00:00'},
    ],
  },
  firstVisits: {
    id: 9021,
    surName: 'Первова',
    name: 'Нина',
    changedAt: '2026-02-20 09:00:00',
    receptions: [
      {planStart: '2026-03-01 10:00:00', canceledAt: '2026-02-28 10:00:00', changedAt: '2026-02-28 10:00:00'},
      {planStart: '2026-03-05 10:00:00', appeared: true, ended: '2026-03-05 10:40:00', changedAt: '2026-03-05 10:40:00'},
      {planStart: '2026-03-20 10:00:00', changedAt: '2026-03-05 10:45:00'},
    ],
  },
  naiveTimes: {
    id: 9013,
    surName: 'Часовой',
    name: 'Тимофей',
    // 02:30 on the nights clocks jumped in Europe: naive values must come back as they are.
    firstVisit: '2024-03-31 02:30:00',
    changedAt: '2025-10-26 02:30:00',
    receptions: [{planStart: '2024-03-31 02:30:00', appeared: true, doctor: BELOVA, changedAt: '2024-03-31 03:00:00'}],
  },
}

/** A generated clinic of `patients` random patients plus the crafted ones, in the real shape unless told. */
export function craftedClinic(patients = 200, file = path.join(tempDir(), 'clinic.sqlite'), shape: ClinicShape = 'real'): GeneratedClinic {
  return generateClinic({patients, seed: 42, file, now: CLINIC_NOW, crafted: Object.values(CRAFTED), shape})
}
