import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {AppError} from '../../errors.js'
import {
  SANDBOX_CLIENT_ID,
  SANDBOX_CLIENT_SECRET,
  SANDBOX_REDIRECT_URI,
  SANDBOX_TOKEN,
  startSandbox,
  type Sandbox,
} from '../../sandbox/index.js'
import {chalk} from '../../ui/index.js'

export interface SandboxCommandResult {
  url: string
  port: number
  token: string
  clientId: string
  clientSecret: string
  redirectUri: string
  controlUrl: string
  dataFile: string | null
}

export default class SandboxCommand extends BaseCommand<typeof SandboxCommand> {
  static override summary = 'Run the built-in amoCRM API v4 sandbox on this machine (loopback only).'
  static override description = `A local emulation of the amoCRM API v4 parts ident-amo uses: contacts, deals, pipelines and their stages, loss reasons, custom fields of contacts and deals, account, OAuth 2.0 (the consent page auto-approves), the 7 requests/second limit. It listens on 127.0.0.1 only and keeps its data in memory, or in --data FILE across runs. Point the tool at it with AMOCRM_BASE_URL and the printed long-lived token. /_sandbox/ on the same port is a control API (stats, fault injection, clock, seeding contacts, managers' deals and their moves, reset) for tests and integrators; it has no authentication, so it answers only requests addressed to this machine (Host localhost, 127.0.0.1 or [::1]) and takes changes only as JSON (Content-Type: application/json) — nothing a web page can send.

Runs until Ctrl+C (exit code 130) or SIGTERM (exit code 143), like every other command. With --json, one JSON document with the address and credentials is printed at start.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --port 0 --data ./sandbox.json',
    '<%= config.bin %> <%= command.id %> --rate-limit 0 --latency 50',
    'AMOCRM_BASE_URL=http://127.0.0.1:8787 AMOCRM_ACCESS_TOKEN=sandbox-long-lived-token <%= config.bin %> auth status',
  ]
  static override flags = {
    port: Flags.integer({description: 'port on 127.0.0.1 (0 picks a free one)', default: 8787, min: 0, max: 65535}),
    'rate-limit': Flags.integer({description: 'requests per second per token on /api/v4 (0 = no limit)', default: 7, min: 0}),
    latency: Flags.integer({description: 'delay added to every answer, ms', default: 0, min: 0}),
    timezone: Flags.string({description: 'account timezone (dates are stored at its midnight)', default: 'Europe/Moscow'}),
    data: Flags.string({description: 'keep the account in this JSON file across runs (default: in memory)'}),
    token: Flags.string({description: 'long-lived token the sandbox accepts', default: SANDBOX_TOKEN}),
    'client-id': Flags.string({description: 'OAuth integration ID to register', default: SANDBOX_CLIENT_ID}),
    'client-secret': Flags.string({description: 'OAuth integration secret', default: SANDBOX_CLIENT_SECRET}),
    'redirect-uri': Flags.string({
      description: "OAuth redirect URI of the integration (the tool's default)",
      default: SANDBOX_REDIRECT_URI,
    }),
    'html-429': Flags.boolean({description: "answer 429 with the gateway's HTML page (no Retry-After) instead of JSON"}),
    'strict-refresh': Flags.boolean({description: 'a used refresh token dies at once (instead of when the new pair is first used)'}),
    'block-after': Flags.integer({description: 'block the API (403 HTML) after this many 429s in a row (0 = never)', default: 0, min: 0}),
    'log-requests': Flags.boolean({description: 'print one line per request: method, path (no query), status'}),
  }

  async run(): Promise<SandboxCommandResult | undefined> {
    const f = this.flags
    try {
      new URL(f['redirect-uri'])
    } catch {
      throw new AppError(`--redirect-uri '${f['redirect-uri']}' is not a URL`, {
        exitCode: 2,
        code: 'E_USAGE',
        hint: 'e.g. http://localhost:8080/callback',
      })
    }
    let sandbox: Sandbox
    try {
      sandbox = await startSandbox({
        port: f.port,
        rateLimit: f['rate-limit'],
        latencyMs: f.latency,
        timezone: f.timezone,
        dataFile: f.data,
        longLivedTokens: [f.token],
        oauthClients: [{clientId: f['client-id'], clientSecret: f['client-secret'], redirectUri: f['redirect-uri']}],
        html429: f['html-429'],
        strictRefresh: f['strict-refresh'],
        blockAfter429s: f['block-after'],
        ...(f['log-requests']
          ? {onRequest: (r) => this.log(`${r.method} ${r.path.split('?')[0]} ${r.status === 0 ? 'dropped' : r.status}`)}
          : {}),
      })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new AppError(`port ${f.port} on 127.0.0.1 is already in use`, {
          hint: 'stop what uses it, or pass --port 0 for a free port',
          code: 'E_USAGE',
          exitCode: 2,
        })
      throw error
    }

    const result: SandboxCommandResult = {
      url: sandbox.url,
      port: sandbox.port,
      token: f.token,
      clientId: f['client-id'],
      clientSecret: f['client-secret'],
      redirectUri: f['redirect-uri'],
      controlUrl: `${sandbox.url}/_sandbox`,
      dataFile: f.data ?? null,
    }
    if (this.jsonEnabled()) this.logJson(result)
    else this.printBanner(result, f['rate-limit'], f.timezone)

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const on = (s: NodeJS.Signals) => {
        process.off('SIGINT', on)
        process.off('SIGTERM', on)
        resolve(s)
      }
      process.on('SIGINT', on)
      process.on('SIGTERM', on)
    })
    await sandbox.close()
    // The exit codes of every command: 130 after Ctrl+C, 143 after SIGTERM.
    process.exitCode = signal === 'SIGINT' ? 130 : 143
    if (!this.jsonEnabled()) this.log('sandbox stopped')
    // In --json mode the document was printed at start; returning nothing keeps it the only one.
    return this.jsonEnabled() ? undefined : result
  }

  private printBanner(r: SandboxCommandResult, rateLimit: number, timezone: string): void {
    this.log(chalk.bold(`amoCRM sandbox listening on ${r.url}`))
    this.log(`  long-lived token: ${r.token}`)
    this.log(`  OAuth client:     id ${r.clientId}, secret ${r.clientSecret}, redirect ${r.redirectUri}`)
    this.log(`  rate limit:       ${rateLimit > 0 ? `${rateLimit} requests/s per token` : 'off'}; timezone ${timezone}`)
    this.log(`  data:             ${r.dataFile ?? 'in memory (gone when it stops)'}`)
    this.log(`  control API:      ${r.controlUrl}`)
    this.log('')
    this.log('Point ident-amo at it:')
    this.log(`  AMOCRM_BASE_URL=${r.url} AMOCRM_ACCESS_TOKEN=${r.token} ident-amo auth status`)
    this.log('  or log in through OAuth (the consent page approves by itself):')
    this.log(`  AMOCRM_BASE_URL=${r.url} AMOCRM_CLIENT_ID=${r.clientId} AMOCRM_CLIENT_SECRET=${r.clientSecret} ident-amo auth login`)
    this.log('')
    this.log('Press Ctrl+C to stop.')
  }
}
