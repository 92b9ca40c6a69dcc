import type {ValidationProblem} from '../amocrm/types.js'

/**
 * Validation codes and texts as amoCRM sends them (docs/amocrm.md "Answers", captured bodies in
 * amocrm-api-php #21/#115/#480, Krukov/amocrm_api #81/#112). `TooLong` and `GreaterThanOrEqual` were
 * never captured: they follow the Symfony-validator style the captured ones come from.
 */
export const problem = {
  notSupportedChoice: (path: string): ValidationProblem => ({
    code: 'NotSupportedChoice',
    path,
    detail: 'The value you selected is not a valid choice.',
  }),
  invalidType: (path: string, type: string): ValidationProblem => ({
    code: 'InvalidType',
    path,
    detail: `This value should be of type ${type}.`,
  }),
  notBlank: (path: string): ValidationProblem => ({code: 'NotBlank', path, detail: 'This value should not be blank.'}),
  notExpected: (path: string): ValidationProblem => ({code: 'FieldNotExpected', path, detail: 'This field was not expected.'}),
  tooLong: (path: string, max: number, value?: unknown): ValidationProblem => ({
    code: 'TooLong',
    path,
    detail:
      value === undefined
        ? `This value is too long. It should have ${max} characters or less.`
        : `The value ${quoted(value)} is too long. It should have ${max} characters or less.`,
  }),
  tooMany: (path: string, max: number): ValidationProblem => ({
    code: 'TooMany',
    path,
    detail: `This collection should contain ${max} element or less.`,
  }),
  notNegative: (path: string, value?: unknown): ValidationProblem => ({
    code: 'GreaterThanOrEqual',
    path,
    detail:
      value === undefined
        ? 'This value should be greater than or equal to 0.'
        : `The value ${quoted(value)} should be greater than or equal to 0.`,
  }),
  /** A value the account refuses as such (`SandboxSettings.refuseValues`), quoted as amoCRM does. */
  invalidValue: (path: string, value: unknown): ValidationProblem => ({
    code: 'InvalidValue',
    path,
    detail: `The value ${quoted(value)} is not valid.`,
  }),
  notUnique: (path: string): ValidationProblem => ({code: 'NotUnique', path, detail: 'This value is already used.'}),
  /** The real code of this one is a UUID (Krukov/amocrm_api #81). */
  noFieldIdentity: (path: string): ValidationProblem => ({
    code: '36b4f074-7403-11ea-af30-00163e2085ae',
    path,
    detail: 'You should use "field_id" or "field_code" to identify custom field.',
  }),
}

/**
 * amoCRM's validation texts may quote the refused value (`The value "+79504425160" is not valid.`, a
 * birthday): the sandbox's do too, so that a client meets personal data in error texts here first.
 */
function quoted(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return `"${[...text].length > 100 ? `${[...text].slice(0, 100).join('')}…` : text}"`
}

/** One element's problems, keyed by its request_id, as in `validation-errors`. */
export interface ElementProblems {
  request_id: string
  errors: ValidationProblem[]
}

/** A batch (or a store call) was refused: nothing was applied. */
export class SandboxValidationError extends Error {
  constructor(readonly errors: ElementProblems[]) {
    super(
      `validation failed: ${errors.map((e) => `[${e.request_id}] ${e.errors.map((p) => `${p.path}: ${p.code}`).join(', ')}`).join('; ')}`,
    )
    this.name = 'SandboxValidationError'
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value)
}

/**
 * A batch refused in amoCRM's other 400 shape, `{"errors": {"<key>": "<text>"}, …, "detail": "Invalid
 * request body"}` (captured in amocrm-api-php #88 for a loss reason on a deal that is not lost). The
 * key is the deal's id on an update and, as the sandbox's choice, the request_id on a create.
 */
export class SandboxRequestBodyError extends Error {
  constructor(readonly errors: Record<string, string>) {
    super(
      `invalid request body: ${Object.entries(errors)
        .map(([k, v]) => `[${k}] ${v}`)
        .join('; ')}`,
    )
    this.name = 'SandboxRequestBodyError'
  }
}
