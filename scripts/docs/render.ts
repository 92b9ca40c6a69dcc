/**
 * The generated parts of the documentation, so that none of it can drift from the code:
 *
 * - the configuration table of both READMEs, from `SETTINGS` (src/config/settings.ts), and the table
 *   of the deals keys of the config file, from `DEAL_KEYS` (src/config/deals.ts);
 * - the "what is synced" table, from the field catalogue (`catalogueMarkdownTable()`), in both
 *   READMEs and in docs/field-mapping.md; the deal fields and the stages of a deal, from the deal
 *   catalogue (`DEAL_FIELD_CATALOGUE`, `DEAL_STAGES`), in both READMEs;
 * - the command reference `docs/commands/*.md` and its index in both READMEs, from the commands
 *   themselves (`oclif readme --multi`, run on the built CLI).
 *
 * `npm run readme` writes them; test/docs/readme.test.ts fails when what is committed differs.
 */
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {DEAL_KEYS, SETTINGS, type SettingDef} from '../../src/config/index.js'
import {DEAL_FIELD_CATALOGUE, DEAL_STAGES} from '../../src/fields/deal-catalogue.js'
import {catalogueMarkdownTable} from '../../src/fields/docs.js'
import {RU_DEAL_FIELDS, RU_DEAL_KEYS, RU_DEAL_STAGES, RU_FIELD_VALUES, RU_SETTINGS, type Translation} from './ru.js'

export type DocLanguage = 'en' | 'ru'

/** The READMEs with generated blocks, and the language of each. */
export const READMES: ReadonlyArray<{file: string; lang: DocLanguage}> = [
  {file: 'README.md', lang: 'en'},
  {file: 'README.ru.md', lang: 'ru'},
]

/** The field mapping document, whose field table comes from the catalogue. */
export const FIELD_MAPPING_DOC = 'docs/field-mapping.md'

/** Where `oclif readme --multi` writes the command reference (relative to the repository). */
export const COMMANDS_DIR = 'docs/commands'

/** oclif wraps help text to COLUMNS (120 when unset); pinned so that a wide terminal changes nothing. */
const HELP_COLUMNS = '120'

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ')

/** A setting's default as the table shows it. */
function defaultText(setting: SettingDef, lang: DocLanguage): string {
  if (setting.default !== undefined) return `\`${setting.default}\``
  if (setting.env === 'LOG_FILE') return '`<dataDir>/logs/sync.log`'
  if (setting.env === 'SYNC_TIMEZONE') return lang === 'ru' ? 'часовой пояс аккаунта, иначе системный' : "the account's, else the system's"
  return ''
}

/** The meaning of a setting in `lang`; Russian texts come from `RU_SETTINGS`. */
export function settingMeaning(setting: SettingDef, lang: DocLanguage): string {
  if (lang === 'en') return setting.describe
  const ru = RU_SETTINGS[setting.env]
  if (!ru) throw new Error(`no Russian description for ${setting.env}: add it to scripts/docs/ru.ts`)
  if (ru.en !== setting.describe)
    throw new Error(
      `the description of ${setting.env} changed (now '${setting.describe}'): update its Russian text and 'en' in scripts/docs/ru.ts`,
    )
  return ru.ru
}

/** Every setting: name (= environment variable = key for `config set`), meaning, default. */
export function settingsMarkdownTable(lang: DocLanguage): string {
  const head = lang === 'ru' ? ['параметр', 'значение', 'по умолчанию'] : ['setting', 'meaning', 'default']
  const lines = [`| ${head.join(' | ')} |`, '|---|---|---|']
  for (const setting of SETTINGS as readonly SettingDef[]) {
    const secret = setting.secret ? ' 🔑' : ''
    lines.push(`| \`${setting.env}\`${secret} | ${cell(settingMeaning(setting, lang))} | ${cell(defaultText(setting, lang))} |`)
  }
  return lines.join('\n')
}

/** The deals keys of the config file (`DEAL_KEYS`): key, meaning, default; Russian texts from `RU_DEAL_KEYS`. */
export function dealKeysMarkdownTable(lang: DocLanguage): string {
  const head = lang === 'ru' ? ['ключ', 'значение', 'по умолчанию'] : ['key', 'meaning', 'default']
  const lines = [`| ${head.join(' | ')} |`, '|---|---|---|']
  for (const def of DEAL_KEYS) {
    let meaning = def.describe
    let byDefault = def.default ?? ''
    if (lang === 'ru') {
      const ru = RU_DEAL_KEYS[def.key]
      if (!ru) throw new Error(`no Russian description for ${def.key}: add it to scripts/docs/ru.ts`)
      if (ru.en !== def.describe || (ru.default?.en ?? '') !== byDefault)
        throw new Error(`the description or default of ${def.key} changed: update its Russian text and 'en' in scripts/docs/ru.ts`)
      meaning = ru.ru
      byDefault = ru.default?.ru ?? ''
    }
    lines.push(`| \`${def.key}\` | ${cell(meaning)} | ${cell(byDefault)} |`)
  }
  return lines.join('\n')
}

/**
 * The mapped fields. English: exactly `catalogueMarkdownTable()`. Russian: the same rows from the same
 * catalogue (keys, names, types, sources), with the "value" column translated (`RU_FIELD_VALUES`).
 */
export function fieldsMarkdownTable(lang: DocLanguage): string {
  const english = catalogueMarkdownTable()
  if (lang === 'en') return english
  const [, , ...rows] = english.split('\n')
  const out = ['| ключ | название по умолчанию | тип в amoCRM | значение | откуда в IDENT |', '|---|---|---|---|---|']
  for (const row of rows) {
    const cells = splitRow(row)
    const key = cells[0]!.replaceAll('`', '')
    const ru = RU_FIELD_VALUES[key]
    if (!ru) throw new Error(`no Russian text for the field '${key}': add it to scripts/docs/ru.ts`)
    if (cell(ru.en) !== cells[3])
      throw new Error(
        `the value text of the field '${key}' changed (now '${cells[3]}'): update its Russian text and 'en' in scripts/docs/ru.ts`,
      )
    cells[1] = cells[1]!.replace('(built-in, code ', '(встроенное, код ')
    cells[3] = cell(ru.ru)
    if (ru.source) {
      if (cell(ru.source.en) !== cells[4])
        throw new Error(
          `the IDENT source of the field '${key}' changed (now '${cells[4]}'): update its Russian text and 'source.en' in scripts/docs/ru.ts`,
        )
      cells[4] = cell(ru.source.ru)
    }
    out.push(`| ${cells.join(' | ')} |`)
  }
  return out.join('\n')
}

/** An English text of the code, or its Russian translation — which must translate the current English text. */
function translated(lang: DocLanguage, english: string, ru: Translation | undefined, what: string): string {
  if (lang === 'en') return english
  if (!ru) throw new Error(`no Russian text for ${what}: add it to scripts/docs/ru.ts`)
  if (ru.en !== english)
    throw new Error(`the text of ${what} changed (now '${english}'): update its Russian text and 'en' in scripts/docs/ru.ts`)
  return ru.ru
}

/** The deal fields (`DEAL_FIELD_CATALOGUE`): key, default name, type `fields create` makes, value, IDENT source. */
export function dealFieldsMarkdownTable(lang: DocLanguage): string {
  const head =
    lang === 'ru'
      ? ['ключ', 'название по умолчанию', 'тип в amoCRM', 'значение', 'откуда в IDENT']
      : ['key', 'default name', 'amoCRM type', 'value', 'from IDENT']
  const lines = [`| ${head.join(' | ')} |`, '|---|---|---|---|---|']
  for (const spec of DEAL_FIELD_CATALOGUE) {
    const value = translated(lang, spec.value, RU_DEAL_FIELDS[spec.key], `the deal field '${spec.key}'`)
    lines.push(`| \`${spec.key}\` | ${cell(spec.name)} | ${spec.createType} | ${cell(value)} | ${cell(spec.source)} |`)
  }
  return lines.join('\n')
}

/** The stages of a deal (`DEAL_STAGES`), in the pipeline's order: key, IDENT state, the stage by default. */
export function dealStagesMarkdownTable(lang: DocLanguage): string {
  const head = lang === 'ru' ? ['ключ', 'состояние в IDENT', 'этап по умолчанию'] : ['key', 'IDENT state', 'default stage']
  const closed = {
    en: {142: "amoCRM's closed stage 142 (won)", 143: "amoCRM's closed stage 143 (lost), with the loss reason"},
    ru: {142: 'закрытый этап amoCRM 142 (успешно)', 143: 'закрытый этап amoCRM 143 (не реализовано), с причиной отказа'},
  }[lang]
  const lines = [`| ${head.join(' | ')} |`, '|---|---|---|']
  for (const stage of DEAL_STAGES) {
    const when = translated(lang, stage.when, RU_DEAL_STAGES[stage.key], `the stage '${stage.key}'`)
    const where = stage.status === undefined ? `«${stage.name}»` : closed[stage.status]
    lines.push(`| \`${stage.key}\` | ${cell(when)} | ${cell(where)} |`)
  }
  return lines.join('\n')
}

/** Cells of a Markdown table row (`\|` stays inside its cell). */
function splitRow(row: string): string[] {
  return row
    .slice(2, -2)
    .split(/ (?<!\\)\| /)
    .map((c) => c.trim())
}

/** The text between `<!-- tag -->` and `<!-- tagstop -->`, trimmed; undefined when the markers are missing. */
export function generatedBlock(text: string, tag: string): string | undefined {
  const start = text.indexOf(`<!-- ${tag} -->`)
  const stop = text.indexOf(`<!-- ${tag}stop -->`)
  if (start < 0 || stop < start) return undefined
  return text.slice(start + `<!-- ${tag} -->`.length, stop).trim()
}

/** Replaces the block between the markers (which must exist) with `body`. */
export function replaceBlock(text: string, tag: string, body: string): string {
  const open = `<!-- ${tag} -->`
  const close = `<!-- ${tag}stop -->`
  const start = text.indexOf(open)
  const stop = text.indexOf(close)
  if (start < 0 || stop < start) throw new Error(`the markers ${open} … ${close} are missing`)
  return `${text.slice(0, start + open.length)}\n${body}\n${text.slice(stop)}`
}

/** A README with its settings, deals keys and fields tables regenerated. */
export function withGeneratedTables(text: string, lang: DocLanguage): string {
  const settings = replaceBlock(text, 'settings', settingsMarkdownTable(lang))
  const deals = replaceBlock(
    replaceBlock(replaceBlock(settings, 'dealsettings', dealKeysMarkdownTable(lang)), 'dealfields', dealFieldsMarkdownTable(lang)),
    'dealstages',
    dealStagesMarkdownTable(lang),
  )
  return replaceBlock(deals, 'fields', fieldsMarkdownTable(lang))
}

/**
 * Every generated documentation file as it should be, by path relative to `root`: both READMEs
 * (tables and command index regenerated), `docs/commands/*.md` and the field table of
 * `docs/field-mapping.md`. Needs the built CLI (`dist/`,
 * `oclif.manifest.json`). Works in a scratch directory that mirrors the package, so `root` is not
 * touched.
 */
export function renderDocs(root: string): Map<string, string> {
  for (const needed of ['dist/commands', 'oclif.manifest.json'])
    if (!existsSync(path.join(root, needed))) throw new Error(`${needed} is missing: run \`npm run build\` first`)
  const oclifBin = path.join(root, 'node_modules', 'oclif', 'bin', 'run.js')
  const work = mkdtempSync(path.join(tmpdir(), 'ident-amo-docs-'))
  try {
    for (const file of ['package.json', 'oclif.manifest.json']) copyFileSync(path.join(root, file), path.join(work, file))
    // 'junction' makes directory links without special rights on Windows; ignored elsewhere.
    for (const dir of ['dist', 'node_modules', 'bin']) symlinkSync(path.join(root, dir), path.join(work, dir), 'junction')
    const out = new Map<string, string>()
    for (const {file, lang} of READMES) {
      const source = readFileSync(path.join(root, file), 'utf8').replaceAll('\r\n', '\n')
      writeFileSync(path.join(work, file), withGeneratedTables(source, lang))
      const run = spawnSync(
        process.execPath,
        [
          oclifBin,
          'readme',
          '--multi',
          '--output-dir',
          COMMANDS_DIR,
          '--readme-path',
          file,
          '--no-source-links',
          '--plugin-directory',
          work,
        ],
        {cwd: work, encoding: 'utf8', env: {...process.env, COLUMNS: HELP_COLUMNS, NO_COLOR: '1'}},
      )
      if (run.status !== 0) throw new Error(`oclif readme failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`)
      // The README has its own heading for the reference: oclif's top-level one would break its outline.
      out.set(file, readFileSync(path.join(work, file), 'utf8').replace('<!-- commands -->\n# Command Topics\n\n', '<!-- commands -->\n'))
    }
    for (const name of readdirSync(path.join(work, COMMANDS_DIR)).sort())
      out.set(`${COMMANDS_DIR}/${name}`, readFileSync(path.join(work, COMMANDS_DIR, name), 'utf8'))
    const mapping = readFileSync(path.join(root, FIELD_MAPPING_DOC), 'utf8').replaceAll('\r\n', '\n')
    out.set(FIELD_MAPPING_DOC, replaceBlock(mapping, 'fields', fieldsMarkdownTable('en')))
    return out
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}

/** Generated files that differ from what is in `root` (changed, missing, or no longer generated). */
export function staleDocs(root: string, rendered: Map<string, string>): string[] {
  const stale: string[] = []
  for (const [file, content] of rendered) {
    const current = path.join(root, file)
    // a checkout with CRLF line endings (git on Windows) is not out of date
    if (!existsSync(current) || readFileSync(current, 'utf8').replaceAll('\r\n', '\n') !== content) stale.push(file)
  }
  const dir = path.join(root, COMMANDS_DIR)
  if (existsSync(dir))
    for (const name of readdirSync(dir)) if (!rendered.has(`${COMMANDS_DIR}/${name}`)) stale.push(`${COMMANDS_DIR}/${name}`)
  return stale.sort()
}

/** Writes what `renderDocs` produced into `root`, removing reference pages of topics that no longer exist. */
export function writeDocs(root: string, rendered: Map<string, string>): string[] {
  const changed = staleDocs(root, rendered)
  mkdirSync(path.join(root, COMMANDS_DIR), {recursive: true})
  for (const file of changed) {
    const target = path.join(root, file)
    const content = rendered.get(file)
    if (content === undefined) rmSync(target, {force: true})
    else writeFileSync(target, content)
  }
  return changed
}
