import path from 'node:path'

import {expect} from 'chai'

import {runProgram} from '../helpers/cli.js'

/** runProgram with room for a build, an install or a container run on a busy machine (15 minutes). */
export const run: typeof runProgram = (command, args, options = {}) => runProgram(command, args, {timeoutMs: 900_000, ...options})

/** This Node first on PATH: an installed `ident-amo` (`#!/usr/bin/env node`) runs on it. */
export const PATH_WITH_NODE = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`

/** What production-tree.mjs reports about an installed package's node_modules. */
export interface ProductionTree {
  packages: number
  notNeeded: string[]
  devDependencies: Record<string, string[]>
}

export const PRODUCTION_TREE_SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'production-tree.mjs')

/**
 * Nothing in the tree is there for development only. A devDependency may be present just when a
 * production package needs it too (@types/node is an optional peer of inquirer); the build and test
 * tools are not there at all.
 */
export function expectProductionOnly(report: ProductionTree): void {
  expect(report.packages).to.be.greaterThan(50)
  expect(report.notNeeded, 'installed but needed by no production dependency').to.deep.equal([])
  for (const [name, requiredBy] of Object.entries(report.devDependencies))
    expect(requiredBy, `${name} is needed by no production package`).to.have.length.greaterThan(0)
  expect(Object.keys(report.devDependencies)).to.not.include('tsx')
  expect(Object.keys(report.devDependencies)).to.not.include('typescript')
}
