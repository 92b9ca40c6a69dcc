import {FIELD_CATALOGUE} from './catalogue.js'

/** The mapped fields as a Markdown table (README, docs), straight from the catalogue. */
export function catalogueMarkdownTable(): string {
  const cell = (s: string) => s.replaceAll('|', '\\|')
  const lines = ['| key | default name | amoCRM type | value | from IDENT |', '|---|---|---|---|---|']
  for (const spec of FIELD_CATALOGUE) {
    const name = spec.code ? `${spec.name} (built-in, code \`${spec.code}\`)` : spec.name
    const type = spec.createType ?? spec.types[0]!
    const typeText = spec.options ? `${type}: ${spec.options.join(' / ')}` : type
    lines.push(`| \`${spec.key}\` | ${cell(name)} | ${cell(typeText)} | ${cell(spec.value)} | ${cell(spec.source)} |`)
  }
  return lines.join('\n')
}
