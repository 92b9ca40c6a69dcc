import {Errors, type Hook} from '@oclif/core'
import {distance} from 'fastest-levenshtein'

import {UsageError} from '../errors.js'

/**
 * An unknown command is a usage error (exit 2) that names the closest command — "did you mean
 * `ident-amo sync full`?" — in the words the user types (`sync full`, not oclif's `sync:full`); with
 * `--json`, the one small error document on stdout.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const typed = [...options.id.split(':'), ...(options.argv ?? []).filter((a) => !a.startsWith('-'))]
  const known = options.config.commandIDs.filter((id) => !id.startsWith('help')).map((id) => id.split(':'))
  const guess = closest(typed, known)
  const shown = typed.slice(0, guess?.length ?? options.id.split(':').length).join(' ')
  const error = new UsageError(
    `unknown command \`${shown}\``,
    guess ? `did you mean \`${options.config.bin} ${guess.join(' ')}\`?` : `\`${options.config.bin} --help\` lists the commands`,
  )
  if ((options.argv ?? []).includes('--json')) {
    const {name, code, message, hint, exitCode} = error
    process.stdout.write(`${JSON.stringify({error: {name, code, message, hint, exitCode}}, null, 2)}\n`)
    this.exit(exitCode)
  }
  throw new Errors.CLIError(error.message, {exit: error.exitCode, code: error.code, suggestions: [error.hint!]})
}

/** The known command nearest to what was typed (its first words, as many as the command has), if near enough. */
function closest(typed: string[], known: string[][]): string[] | undefined {
  let best: {id: string[]; cost: number} | undefined
  for (const id of known) {
    if (typed.length < id.length) continue
    const cost = distance(typed.slice(0, id.length).join(' '), id.join(' '))
    if (!best || cost < best.cost) best = {id, cost}
  }
  return best && best.cost <= Math.max(2, Math.floor(best.id.join(' ').length / 4)) ? best.id : undefined
}

export default hook
