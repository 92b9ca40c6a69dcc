import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

/**
 * Loaded before any test (`.mocharc.json` `require`): every temporary directory of the run — made by a
 * test, a helper, or a CLI the tests start (they inherit TMPDIR) — goes under one directory, removed
 * when the run ends, so that a test run leaves nothing behind in /tmp, killed children included.
 */
const root = mkdtempSync(path.join(tmpdir(), 'ident-amo-run-'))
process.env.TMPDIR = root
process.on('exit', () => rmSync(root, {recursive: true, force: true}))
