/**
 * `npm run readme`: regenerates the generated parts of the documentation — the configuration and
 * field tables of README.md / README.ru.md and the command reference docs/commands/*.md (oclif readme
 * on the built CLI). `--check` writes nothing and exits 1 when something is out of date.
 */
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {renderDocs, staleDocs, writeDocs} from './docs/render.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values} = parseArgs({options: {check: {type: 'boolean', default: false}}})

const rendered = renderDocs(ROOT)
if (values.check) {
  const stale = staleDocs(ROOT, rendered)
  if (stale.length > 0) {
    console.error(`out of date: ${stale.join(', ')}\nrun \`npm run readme\` and commit the result`)
    process.exitCode = 1
  } else {
    console.log('the generated documentation is up to date')
  }
} else {
  const changed = writeDocs(ROOT, rendered)
  console.log(changed.length > 0 ? `updated ${changed.join(', ')}` : 'nothing to update')
}
