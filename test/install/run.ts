import {spawn} from 'node:child_process'
import path from 'node:path'

import {expect} from 'chai'

import type {CliResult} from '../helpers/cli.js'

/** This Node first on PATH: an installed `ident-amo` (`#!/usr/bin/env node`) runs on it. */
export const PATH_WITH_NODE = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`

/**
 * Runs a program to its end and collects its output, without blocking this process: a sandbox served
 * from the test keeps answering while the program (a container, an installed CLI) talks to it.
 */
export function run(
  command: string,
  args: string[],
  options: {env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number} = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr})
    })
  })
}

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
