import {readdirSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import type {Command} from '@oclif/core'
import {expect} from 'chai'

import {ROOT} from '../helpers/cli.js'

const COMMANDS_DIR = path.join(ROOT, 'src', 'commands')

/** Every command file under src/commands, with the id oclif gives it (`sync/full.ts` → `sync full`, `demo/index.ts` → `demo`). */
function commandFiles(): Array<{id: string; file: string}> {
  const out: Array<{id: string; file: string}> = []
  const walk = (dir: string, topic: string[]) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name), [...topic, entry.name])
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const name = entry.name.slice(0, -3)
        out.push({id: (name === 'index' ? topic : [...topic, name]).join(' '), file: path.join(dir, entry.name)})
      }
    }
  }
  walk(COMMANDS_DIR, [])
  return out.sort((a, b) => a.id.localeCompare(b.id))
}

type CommandClass = typeof Command & {enableJsonFlag?: boolean}

/** The `--flags` an example passes to this very command (`<%= command.id %>`), before any pipe. */
function flagsUsed(example: string): string[] {
  const [, afterCommand] = example.split('<%= command.id %>')
  if (afterCommand === undefined) return []
  const own = afterCommand.split(/\s[|&;]/)[0]!
  return [...own.matchAll(/(?:^|\s)--([a-z][\w-]*)/g)].map((m) => m[1]!)
}

describe('docs: every command explains itself in --help', () => {
  const files = commandFiles()

  it('finds the commands', () => {
    const ids = files.map((f) => f.id)
    for (const id of ['auth login', 'config set', 'db check', 'fields check', 'sync full', 'sync watch', 'patient test', 'demo', 'sandbox'])
      expect(ids).to.include(id)
  })

  for (const {id, file} of files) {
    describe(id, () => {
      let cmd: CommandClass
      before(async () => {
        cmd = ((await import(pathToFileURL(file).href)) as {default: CommandClass}).default
      })

      it('has a one-line summary, a longer description and at least one example', () => {
        expect(cmd.summary, 'summary').to.be.a('string').and.not.equal('')
        expect(cmd.summary, 'summary').not.to.include('\n')
        expect(cmd.description, 'description').to.be.a('string')
        expect(cmd.description!.trim().length, 'description').to.be.greaterThan(cmd.summary!.length)
        expect(cmd.examples ?? [], 'examples').to.have.length.greaterThan(0)
      })

      it('has examples that run this CLI, with flags the command accepts', () => {
        const flags = cmd.flags ?? {}
        const known = new Set<string>(Object.keys(flags))
        for (const [name, flag] of Object.entries(flags)) if ((flag as {allowNo?: boolean}).allowNo) known.add(`no-${name}`)
        if (cmd.enableJsonFlag) known.add('json')
        for (const example of cmd.examples ?? []) {
          const text = typeof example === 'string' ? example : example.command
          expect(text, 'an example runs <%= config.bin %>').to.include('<%= config.bin %>')
          for (const flag of flagsUsed(text)) expect([...known], `--${flag} in the example '${text}'`).to.include(flag)
        }
      })

      it('describes every flag and argument', () => {
        for (const [name, flag] of Object.entries(cmd.flags ?? {}))
          expect((flag as {description?: string}).description, `--${name}`)
            .to.be.a('string')
            .and.not.equal('')
        for (const [name, arg] of Object.entries(cmd.args ?? {}))
          expect((arg as {description?: string}).description, name)
            .to.be.a('string')
            .and.not.equal('')
      })
    })
  }
})
