// Usage: node production-tree.mjs PACKAGE_DIR — prints one JSON document about PACKAGE_DIR/node_modules:
//   packages          how many packages are installed
//   notNeeded         installed packages that no production dependency needs (relative paths)
//   devDependencies   PACKAGE_DIR's devDependencies that are installed → the packages that need them
// A package is needed when it is reachable from PACKAGE_DIR's `dependencies` through the packages' own
// dependencies, optional and peer dependencies, resolved the way Node resolves them (the requiring
// package's node_modules, then its parents', never above PACKAGE_DIR). Plain JavaScript on Node's own
// modules only, so that it runs on an installed package and inside the container image alike.
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

const root = path.resolve(process.argv[2] ?? '.')
const readPackage = (dir) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))

/** Every package directory under dir/node_modules, nested ones included. */
function installedUnder(dir, found = []) {
  const modules = path.join(dir, 'node_modules')
  if (!existsSync(modules)) return found
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue
    const names = entry.startsWith('@') ? readdirSync(path.join(modules, entry)).map((name) => `${entry}/${name}`) : [entry]
    for (const name of names) {
      const dir = path.join(modules, name)
      if (!existsSync(path.join(dir, 'package.json'))) continue
      found.push(dir)
      installedUnder(dir, found)
    }
  }
  return found
}

function resolveFrom(dir, name) {
  for (let at = dir; ; at = path.dirname(at)) {
    const candidate = path.join(at, 'node_modules', name)
    if (existsSync(path.join(candidate, 'package.json'))) return candidate
    if (at === root || at === path.dirname(at)) return undefined
  }
}

const top = readPackage(root)
const needed = new Set()
const requiredBy = new Map()
const queue = [[root, {...top.dependencies, ...top.optionalDependencies}]]
while (queue.length > 0) {
  const [dir, dependencies] = queue.shift()
  const requirer = dir === root ? undefined : readPackage(dir).name
  for (const name of Object.keys(dependencies)) {
    if (requirer) requiredBy.set(name, [...new Set([...(requiredBy.get(name) ?? []), requirer])])
    const target = resolveFrom(dir, name)
    // An optional dependency for another platform, or an optional peer, is not installed.
    if (!target || needed.has(target)) continue
    needed.add(target)
    const pkg = readPackage(target)
    queue.push([target, {...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies}])
  }
}

const installed = installedUnder(root)
const installedNames = new Set(installed.map((dir) => readPackage(dir).name))
console.log(
  JSON.stringify({
    packages: installed.length,
    notNeeded: installed.filter((dir) => !needed.has(dir)).map((dir) => path.relative(root, dir)),
    devDependencies: Object.fromEntries(
      Object.keys(top.devDependencies ?? {})
        .filter((name) => installedNames.has(name))
        .map((name) => [name, requiredBy.get(name) ?? []]),
    ),
  }),
)
