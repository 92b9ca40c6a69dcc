import {Args} from '@oclif/core'
import inquirer from 'inquirer'

import {BaseCommand} from '../../base-command.js'
import {SETTING_BY_NAME, type SetConfigResult, setConfigValue} from '../../config/index.js'
import {UsageError} from '../../errors.js'
import {openSecretStore} from '../../secrets/index.js'

export default class ConfigSet extends BaseCommand<typeof ConfigSet> {
  static override summary = 'Set one configuration value (secrets go to the keychain).'
  static override description = `KEY is a setting name (see \`config show\`), fields.<key>.id, fields.<key> (false disables a field), a deals key (deals.enabled, deals.pipeline_id, deals.stages.<key>, deals.protected_stages, deals.claim, deals.claim_pipelines, deals.responsible_user_id, deals.users.<staff id>, fields.deal.<key>.id), ident.tables.<Table> or ident.columns.<Table>.<Column> (renames for clinics whose IDENT differs). An empty VALUE removes the key. DB_PASSWORD and AMOCRM_CLIENT_SECRET are stored in the OS keychain, never in the config file: leave their VALUE out to type it at a hidden prompt (or pipe it in), out of the shell history.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> DB_HOST 192.168.1.10',
    '<%= config.bin %> <%= command.id %> DB_PASSWORD',
    'printf %s "$SECRET" | <%= config.bin %> <%= command.id %> AMOCRM_CLIENT_SECRET',
    '<%= config.bin %> <%= command.id %> fields.age.id 123456',
    '<%= config.bin %> <%= command.id %> ident.columns.Persons.MobilePhone CellPhone',
    '<%= config.bin %> <%= command.id %> fields.inn false',
    '<%= config.bin %> <%= command.id %> deals.stages.no_show 61234567',
  ]
  static override args = {
    key: Args.string({required: true, description: 'setting name or dotted key'}),
    value: Args.string({description: 'the new value ("" removes it); for a secret, leave it out to be asked at a hidden prompt'}),
  }
  static override flags = {}

  async run(): Promise<SetConfigResult & {stored: 'config file' | 'keychain'}> {
    const {key} = this.args
    const setting = SETTING_BY_NAME.get(key)
    if (key === 'AMOCRM_ACCESS_TOKEN')
      throw new UsageError(
        'AMOCRM_ACCESS_TOKEN is read from the environment only',
        'store a long-lived token with `ident-amo auth login --token -` (it reads the token from standard input), or set AMOCRM_ACCESS_TOKEN in the environment or .env',
      )
    if (setting?.secret) {
      const store = await openSecretStore({configDir: this.config.configDir, dataDir: this.config.dataDir})
      const value = this.args.value ?? (await askSecret(key))
      if (this.args.value)
        this.warn(
          `${key} given on the command line stays in the shell history: next time leave the value out and type it at the hidden prompt`,
        )
      if (value === '') await store.delete(key)
      else await store.set(key, value)
      this.log(`${key} ${value === '' ? 'removed from' : 'saved in'} ${store.describe()}`)
      return {key, value: value === '' ? null : '****', stored: 'keychain'}
    }
    if (this.args.value === undefined)
      throw new UsageError(`no VALUE for ${key}`, `run \`ident-amo config set ${key} VALUE\` ("" removes it)`)
    const result = setConfigValue(this.config.configDir, key, this.args.value)
    this.log(result.value === undefined ? `${key} removed` : `${key} = ${JSON.stringify(result.value)}`)
    if (result.also) this.log(`${result.also.key} = ${JSON.stringify(result.also.value)}`)
    if (result.warning) this.warn(result.warning)
    return {...result, stored: 'config file'}
  }
}

/** The secret typed at a hidden prompt on a terminal, else read from standard input (a pipe). */
async function askSecret(key: string): Promise<string> {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const prompt = inquirer.createPromptModule({output: process.stderr})
    const {value} = await prompt<{value: string}>([
      {
        type: 'password',
        name: 'value',
        message: `${key}:`,
        mask: '*',
        validate: (v: string) => v !== '' || 'required ("" on the command line removes it)',
      },
    ])
    return value
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
  if (value === '')
    throw new UsageError(
      `no value for ${key} on standard input`,
      `type it at the prompt on a terminal, or pipe it in: printf %s "$SECRET" | ident-amo config set ${key}`,
    )
  return value
}
