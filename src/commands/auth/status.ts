import {BaseCommand} from '../../base-command.js'
import {type AuthStatus, readAuthStatus} from '../../auth/index.js'
import {renderPairs} from '../../ui/index.js'
import {formatDateTime, localZone} from '../../ui/time.js'

export default class AuthStatusCommand extends BaseCommand<typeof AuthStatusCommand> {
  static override summary = 'Show which amoCRM account the tool is logged in to, the token and where it is stored.'
  static override description =
    'Calls GET /api/v4/account with the token every other command would use (refreshing it first when it is due), then shows the account name, subdomain and timezone, the token kind (OAuth, long-lived, or AMOCRM_ACCESS_TOKEN from the environment) and its expiry, and where secrets are kept (OS keychain, the insecure file, or the environment). Exit code 1 when not logged in or when amoCRM refuses the token.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<AuthStatus> {
    const status = await readAuthStatus(this.loadAppConfig())
    const kind = {oauth: 'OAuth (refreshed automatically)', 'long-lived': 'long-lived', environment: 'AMOCRM_ACCESS_TOKEN (environment)'}[
      status.token.kind
    ]
    this.log(
      renderPairs([
        ['account', `${status.account.name} (id ${status.account.id})`],
        ['subdomain', status.account.subdomain],
        ['address', status.baseUrl],
        ['timezone', status.account.timezone ?? 'unknown'],
        ['token', kind],
        [
          'expires',
          status.token.expiresAt
            ? `${formatDateTime(status.token.expiresAt).slice(0, 16)} ${localZone()} (${relative(status.token.expiresAt)})`
            : 'unknown',
        ],
        ['secrets in', status.storage.description],
      ]),
    )
    if (status.storage.backend === 'file') this.warn('secrets are kept in a plain-text file (chosen with --insecure-storage)')
    return status
  }
}

function relative(iso: string): string {
  const ms = Date.parse(iso) - Date.now()
  const abs = Math.abs(ms)
  const text =
    abs >= 48 * 3600_000
      ? `${Math.round(abs / 86_400_000)} days`
      : abs >= 3600_000
        ? `${Math.round(abs / 3600_000)} h`
        : `${Math.max(1, Math.round(abs / 60_000))} min`
  return ms >= 0 ? `in ${text}` : `${text} ago`
}
