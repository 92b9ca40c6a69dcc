import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {DEAL_KEYS, SETTINGS, type SettingDef} from '../../src/config/index.js'
import {FIELD_CATALOGUE} from '../../src/fields/catalogue.js'
import {DEAL_FIELD_CATALOGUE, DEAL_STAGES} from '../../src/fields/deal-catalogue.js'
import {catalogueMarkdownTable} from '../../src/fields/docs.js'
import {
  COMMANDS_DIR,
  dealFieldsMarkdownTable,
  dealKeysMarkdownTable,
  dealStagesMarkdownTable,
  FIELD_MAPPING_DOC,
  fieldsMarkdownTable,
  generatedBlock,
  READMES,
  renderDocs,
  settingsMarkdownTable,
  staleDocs,
} from '../../scripts/docs/render.js'
import {ROOT} from '../helpers/cli.js'

const readme = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')

describe('docs: the READMEs say what the code does', () => {
  it("README.md's field table is exactly the catalogue's (catalogueMarkdownTable())", () => {
    expect(generatedBlock(readme('README.md'), 'fields'), 'the <!-- fields --> block of README.md').to.equal(catalogueMarkdownTable())
  })

  it("README.ru.md's field table has one row per catalogue field, in the catalogue's order, names and types", () => {
    const block = generatedBlock(readme('README.ru.md'), 'fields')
    expect(block, 'the <!-- fields --> block of README.ru.md').to.equal(fieldsMarkdownTable('ru'))
    const rows = block!.split('\n').slice(2)
    expect(rows).to.have.length(FIELD_CATALOGUE.length)
    FIELD_CATALOGUE.forEach((spec, i) => {
      expect(rows[i], spec.key).to.match(new RegExp(`^\\| \`${spec.key}\` \\| ${spec.name}`))
      expect(rows[i], spec.key).to.include(` | ${spec.createType ?? spec.types[0]}`)
    })
  })

  for (const {file, lang} of READMES) {
    it(`${file}'s configuration table lists every setting with its default`, () => {
      const block = generatedBlock(readme(file), 'settings')
      expect(block, `the <!-- settings --> block of ${file}`).to.equal(settingsMarkdownTable(lang))
      const rows = block!.split('\n').slice(2)
      expect(rows).to.have.length(SETTINGS.length)
      for (const [i, setting] of (SETTINGS as readonly SettingDef[]).entries()) {
        expect(rows[i], setting.env).to.match(new RegExp(`^\\| \`${setting.env}\``))
        if (setting.default !== undefined)
          expect(rows[i], setting.env).to.match(new RegExp(`\\| \`${setting.default.replaceAll('.', '\\.')}\` \\|$`))
      }
    })
  }

  for (const {file, lang} of READMES) {
    it(`${file}'s deals keys table lists every key of DEAL_KEYS with its default`, () => {
      const block = generatedBlock(readme(file), 'dealsettings')
      expect(block, `the <!-- dealsettings --> block of ${file}`).to.equal(dealKeysMarkdownTable(lang))
      const rows = block!.split('\n').slice(2)
      expect(rows.map((r) => r.split(' | ')[0])).to.deep.equal(DEAL_KEYS.map((k) => `| \`${k.key}\``))
    })
  }

  it('the Russian tables translate the current English texts (a changed description needs a new translation)', () => {
    // renderDocs/settingsMarkdownTable throw when a translation is missing or was made for another text
    expect(() => settingsMarkdownTable('ru')).not.to.throw()
    expect(() => fieldsMarkdownTable('ru')).not.to.throw()
    expect(() => dealKeysMarkdownTable('ru')).not.to.throw()
    expect(() => dealFieldsMarkdownTable('ru')).not.to.throw()
    expect(() => dealStagesMarkdownTable('ru')).not.to.throw()
  })

  for (const {file} of READMES) {
    it(`${file}'s deal tables list every deal field and every stage key, in the catalogue's order`, () => {
      const keysOf = (tag: string) =>
        generatedBlock(readme(file), tag)!
          .split('\n')
          .slice(2)
          .map((r) => r.split(' | ')[0]!.replace(/^\| /, ''))
      expect(keysOf('dealfields')).to.deep.equal(DEAL_FIELD_CATALOGUE.map((f) => `\`${f.key}\``))
      expect(keysOf('dealstages')).to.deep.equal(DEAL_STAGES.map((s) => `\`${s.key}\``))
    })
  }

  it('the generated docs (tables, command reference in docs/commands) are up to date: run `npm run readme` when this fails', function () {
    if (!existsSync(path.join(ROOT, 'dist', 'commands'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
    this.timeout(120_000)
    const rendered = renderDocs(ROOT)
    expect([...rendered.keys()]).to.include.members([
      'README.md',
      'README.ru.md',
      `${COMMANDS_DIR}/sync.md`,
      `${COMMANDS_DIR}/auth.md`,
      FIELD_MAPPING_DOC,
    ])
    expect(staleDocs(ROOT, rendered), 'out of date (run `npm run readme`)').to.deep.equal([])
  })

  it('the command reference documents every command, and both READMEs link to it', () => {
    if (!existsSync(path.join(ROOT, 'oclif.manifest.json')))
      throw new Error('oclif.manifest.json is missing: run `npm run build` first (npm test does)')
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {hidden?: boolean}>
    }
    const reference = [...new Set(Object.keys(manifest.commands).map((id) => id.split(':')[0]!))]
      .map((topic) => readFileSync(path.join(ROOT, COMMANDS_DIR, `${topic}.md`), 'utf8'))
      .join('\n')
    for (const id of Object.keys(manifest.commands)) expect(reference, id).to.include(`## \`ident-amo ${id.replaceAll(':', ' ')}`)
    for (const {file} of READMES) expect(readme(file), file).to.include(`](${COMMANDS_DIR}/sync.md)`)
  })
})
