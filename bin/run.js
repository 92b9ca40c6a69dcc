#!/usr/bin/env node
// Plain JavaScript that any Node.js parses: the version check runs before anything that needs a new
// Node.js is loaded (imports are hoisted, so oclif is imported only after the check, dynamically).
var MINIMUM = [22, 20]
var version = process.versions.node.split('.').map(Number)
if (version[0] < MINIMUM[0] || (version[0] === MINIMUM[0] && version[1] < MINIMUM[1])) {
  process.stderr.write(
    'ident-amo needs Node.js ' +
      MINIMUM.join('.') +
      ' or newer; this is Node.js ' +
      process.versions.node +
      '.\n' +
      'Install the current LTS release (Node.js 24) from https://nodejs.org, or with nvm: nvm install 24\n',
  )
  process.exit(1)
}

import('@oclif/core').then(function (oclif) {
  return oclif.execute({dir: import.meta.url})
})
