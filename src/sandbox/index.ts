/**
 * A local emulation of the amoCRM API v4 parts ident-amo uses (docs/amocrm.md, and amoCRM's
 * `/api/v4/leads…`): contacts, deals, pipelines and their stages, loss reasons, custom fields of
 * contacts and deals, account, OAuth 2.0, the 7 req/s limit, plus a controllable clock, fault
 * injection and request recording for tests. The demo, the tests and `ident-amo sandbox` run it;
 * `/_sandbox/` is its HTTP control API.
 *
 * Choices where amoCRM's behaviour is unknown, so that clients meet the stricter case:
 * - `limit` above 250 on a list is a 400 (not a silent cap);
 * - PATCH of an unknown or deleted contact id is a 400 validation error `NotSupportedChoice` on `id`;
 * - `textarea` values are limited to 10,000 characters (`TEXTAREA_MAX_LENGTH`), `text` to 256;
 * - an empty string value does not store a value (a field left with none is cleared);
 * - `date`/`birthday` ints count by their calendar day in the account timezone, RFC 3339 strings by
 *   the date written; both are stored at that day's midnight in the account timezone, and a result
 *   before 1970 is refused (`GreaterThanOrEqual`);
 * - the default order of a list is `id` ascending; custom-field filters are ignored (API filtering off);
 * - 429 JSON carries `retry_after: 1` and `Retry-After: 1`.
 *
 * Deals, where amoCRM's behaviour is not known:
 * - a fresh account has one main pipeline, "Воронка", with four stages of its own; every pipeline has
 *   the "unsorted" stage (type 1, refused as a target as in amocrm-api-php #156) and 142/143;
 * - `status_id` must be a stage of the pipeline the deal ends up in (the given `pipeline_id`, else its
 *   own, else the main one): the sandbox does not find the pipeline from a stage id;
 * - a loss reason on a deal that does not end up in 143 is amoCRM's "Invalid request body" 400 with
 *   `errors` keyed by the deal id (PHP #88), keyed by the request_id on a create; leaving 143 clears it;
 * - `_embedded.contacts` on an update is refused (`FieldNotExpected`): links travel in the create;
 * - a loss reason whose name is already used is refused (`NotUnique`); a stage colour must be one of
 *   `STATUS_COLORS`; an unknown pipeline is 404 "Pipeline not found" (PHP #92);
 * - price is a whole number ≥ 0 (amocrm.ru); an unnamed deal is called `Сделка #<id>`.
 */
export {MAX_BATCH, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE} from './api.js'
export type {SandboxClock} from './clock.js'
export {FAULT_KINDS} from './faults.js'
export type {FaultKind, FaultSpec} from './faults.js'
export {LOSS_REASON_NOT_LOST} from './deals.js'
export type {LeadMove, SandboxDeals, SandboxLeadInput} from './deals.js'
export {DEFAULT_PIPELINE} from './pipelines.js'
export {ACCESS_TOKEN_TTL_S, CODE_TTL_MS, REFRESH_TOKEN_TTL_S} from './oauth.js'
export type {OAuthClient, OAuthProblem, TokenResponse} from './oauth.js'
export {SandboxValidationError} from './problems.js'
export type {ElementProblems} from './problems.js'
export {SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REDIRECT_URI, SANDBOX_TOKEN, startSandbox} from './server.js'
export type {Sandbox, SandboxOptions, SandboxSettings, SandboxStats} from './server.js'
export {SANDBOX_ACCOUNT_ID, SANDBOX_ADMIN_ID, SANDBOX_MANAGER_ID} from './store.js'
export type {SandboxAccount, SandboxContactInput, SandboxStore, SandboxUser} from './store.js'
export type {RecordedRequest} from './traffic.js'
export {TEXT_MAX_LENGTH, TEXTAREA_MAX_LENGTH} from './values.js'
