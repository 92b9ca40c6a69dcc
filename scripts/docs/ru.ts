/**
 * Russian texts of the generated README.ru.md tables. Each keeps the English text it translates
 * (`en`): when a description in the code changes, rendering fails until the translation is updated,
 * so the Russian README cannot silently fall behind.
 */
export interface Translation {
  en: string
  ru: string
}

/** By setting name (src/config/settings.ts `describe`). */
export const RU_SETTINGS: Readonly<Record<string, Translation>> = {
  DB_CLIENT: {
    en: "`mssql` (IDENT's SQL Server) or `sqlite` (sample/test IDENT database)",
    ru: '`mssql` (SQL Server IDENT) или `sqlite` (демонстрационная или тестовая база IDENT)',
  },
  DB_HOST: {en: 'SQL Server host', ru: 'адрес (хост) SQL Server'},
  DB_PORT: {
    en: 'SQL Server port (ignored when DB_INSTANCE is set: the SQL Browser finds it)',
    ru: 'порт SQL Server (не используется, когда задан DB_INSTANCE: порт сообщает служба SQL Server Browser)',
  },
  DB_INSTANCE: {en: 'named instance, e.g. `PZSQLSERVER`', ru: 'именованный экземпляр, например `PZSQLSERVER`'},
  DB_NAME: {en: 'database name', ru: 'имя базы данных'},
  DB_USER: {
    en: 'SQL login (or Windows user name when DB_DOMAIN is set)',
    ru: 'логин SQL Server (или имя пользователя Windows, когда задан DB_DOMAIN)',
  },
  DB_PASSWORD: {
    en: 'password of DB_USER (keychain; the environment wins)',
    ru: 'пароль DB_USER (в хранилище ключей ОС; переменная окружения важнее)',
  },
  DB_DOMAIN: {
    en: 'Windows domain: switches to a Windows (NTLM) login',
    ru: 'домен Windows: включает вход под учётной записью Windows (NTLM)',
  },
  DB_ENCRYPT: {en: 'encrypt the connection (TLS)', ru: 'шифровать соединение (TLS)'},
  DB_TRUST_SERVER_CERTIFICATE: {en: 'accept a self-signed server certificate', ru: 'принимать самоподписанный сертификат сервера'},
  DB_CONNECT_TIMEOUT_MS: {en: 'connect timeout, ms', ru: 'тайм-аут подключения, мс'},
  DB_REQUEST_TIMEOUT_MS: {en: 'query timeout, ms', ru: 'тайм-аут запроса, мс'},
  DB_FILE: {en: 'path of the SQLite file when DB_CLIENT=sqlite', ru: 'путь к файлу SQLite при DB_CLIENT=sqlite'},
  AMOCRM_SUBDOMAIN: {en: 'account subdomain: `SUB` of `SUB.amocrm.ru`', ru: 'поддомен аккаунта: `SUB` в `SUB.amocrm.ru`'},
  AMOCRM_DOMAIN: {en: '`amocrm.ru`, or `kommo.com` for Kommo', ru: '`amocrm.ru` или `kommo.com` для Kommo'},
  AMOCRM_BASE_URL: {
    en: 'full base URL overriding subdomain+domain (sandbox, proxies); plain `http://` only to this machine (loopback)',
    ru: 'полный адрес вместо поддомена и домена (песочница, прокси); простой `http://` — только к этому компьютеру (loopback)',
  },
  AMOCRM_ALLOW_INSECURE_HTTP: {
    en: 'let a plain `http://` AMOCRM_BASE_URL reach another machine (the token and patient data travel unencrypted; warned on every run)',
    ru: 'разрешить простой `http://` в AMOCRM_BASE_URL к другому компьютеру (токен и данные пациентов идут без шифрования; предупреждение при каждом запуске)',
  },
  AMOCRM_CLIENT_ID: {en: 'integration ID', ru: 'ID интеграции'},
  AMOCRM_CLIENT_SECRET: {
    en: 'integration secret key (keychain; the environment wins)',
    ru: 'секретный ключ интеграции (в хранилище ключей ОС; переменная окружения важнее)',
  },
  AMOCRM_REDIRECT_URI: {
    en: 'redirect URI registered in the integration',
    ru: 'ссылка для перенаправления (Redirect URI), указанная в интеграции',
  },
  AMOCRM_ACCESS_TOKEN: {
    en: 'a long-lived token; when set, no stored token is used or refreshed',
    ru: 'долгосрочный токен; если задан, сохранённые токены не используются и не обновляются',
  },
  AMOCRM_RATE_LIMIT: {
    en: 'requests per second to amoCRM, shared by the processes of one account (counted in the config directory)',
    ru: 'запросов в секунду к amoCRM, общих для всех процессов одного аккаунта (счёт ведётся в каталоге конфигурации)',
  },
  AMOCRM_CONCURRENCY: {
    en: 'write requests kept in flight at once (1–16; fewer when amoCRM answers fast), still within AMOCRM_RATE_LIMIT; 1 sends one at a time',
    ru: 'сколько запросов записи держать в работе одновременно (1–16; меньше, если amoCRM отвечает быстро), всё равно в пределах AMOCRM_RATE_LIMIT; 1 — по одному',
  },
  AMOCRM_REQUEST_TIMEOUT_MS: {
    en: 'how long to wait for an amoCRM answer, ms; a create left unanswered is not sent again before 1.5 times this has passed (it may still be applied)',
    ru: 'сколько ждать ответа amoCRM, мс; создание, оставшееся без ответа, не отправляется снова, пока не пройдёт полтора таких срока (оно ещё может примениться)',
  },
  SYNC_INTERVAL_MINUTES: {
    en: 'incremental interval in `sync watch` (decimals allowed)',
    ru: 'интервал инкрементальной синхронизации в `sync watch`, минут (можно дробное число)',
  },
  SYNC_DEEP_TIMES: {en: 'deep sync times, comma-separated `HH:MM`', ru: 'время глубокой синхронизации, через запятую `ЧЧ:ММ`'},
  SYNC_TIMEZONE: {
    en: "clinic timezone for schedules, ages and dates (default: the account's, else the system's)",
    ru: 'часовой пояс клиники для расписания, возраста и дат (по умолчанию — пояс аккаунта, иначе системный)',
  },
  SYNC_BATCH_SIZE: {en: 'contacts per write request (1–250)', ru: 'контактов в одном запросе записи (1–250)'},
  DEALS: {
    en: 'appointments → deals: every IDENT reception in the window becomes an amoCRM deal (config key `deals.enabled`)',
    ru: 'приёмы → сделки: каждый приём IDENT в окне становится сделкой amoCRM (ключ файла настроек `deals.enabled`)',
  },
  DEALS_HISTORY_DAYS: {
    en: 'receptions from this many days back (and all future ones) become deals',
    ru: 'сделками становятся приёмы за столько последних дней (и все будущие)',
  },
  DEALS_NO_SHOW_HOURS: {
    en: 'hours after the planned end of a visit with no sign of the patient before the deal moves to "no show"',
    ru: 'через сколько часов после планового окончания приёма без признаков визита сделка переходит в «Не пришёл»',
  },
  LOG_LEVEL: {en: 'log level', ru: 'уровень журнала'},
  LOG_FILE: {
    en: 'log file (default `<dataDir>/logs/sync.log`), or a device such as `/dev/stderr` (not rotated)',
    ru: 'файл журнала (по умолчанию `<dataDir>/logs/sync.log`) или устройство, например `/dev/stderr` (без ротации)',
  },
}

/** By field key (src/fields/catalogue.ts `value`, and `source` where it is not a table name). */
export const RU_FIELD_VALUES: Readonly<Record<string, Translation & {source?: Translation}>> = {
  phone: {
    en: 'E.164 (`+79251234567`), mobile with `enum_code` `MOB`, a landline with `WORK`; merged with the numbers CRM users added',
    ru: 'E.164 (`+79251234567`), мобильный с `enum_code` `MOB`, городской с `WORK`; объединяется с номерами, которые добавили пользователи CRM',
  },
  email: {
    en: 'lower-cased, `enum_code` `PRIV`; merged with the addresses CRM users added',
    ru: 'строчными буквами, `enum_code` `PRIV`; объединяется с адресами, которые добавили пользователи CRM',
  },
  age: {en: 'whole years on the day of the sync, clinic timezone', ru: 'полных лет на день синхронизации, по часовому поясу клиники'},
  gender: {
    en: 'Мужской / Женский / Не указан, by option text → its `enum_id`',
    ru: 'Мужской / Женский / Не указан: вариант ищется по тексту → его `enum_id`',
  },
  visits: {
    en: 'visit history `ДД.ММ.ГГГГ ЧЧ:ММ — Фамилия И. О.`, newest first, cut to fit (textarea 4,000 characters, text 256), `… и ещё N`',
    ru: 'история визитов `ДД.ММ.ГГГГ ЧЧ:ММ — Фамилия И. О.`, новые сверху, обрезается по размеру поля (textarea — 4 000 символов, text — 256), `… и ещё N`',
    source: {en: 'Receptions, Staffs', ru: 'Receptions, Staffs'},
  },
  total_visits: {en: 'count', ru: 'количество'},
  card_number: {en: 'as is, trimmed', ru: 'как есть, без пробелов по краям'},
  birthday: {
    en: 'RFC 3339 midnight in the account timezone with that day’s real offset (`1961-04-12T00:00:00+03:00`)',
    ru: 'RFC 3339: полночь в часовом поясе аккаунта с действительным смещением того дня (`1961-04-12T00:00:00+03:00`)',
  },
  comment: {en: 'as is', ru: 'как есть'},
  discount: {en: 'percent, `0`–`100`', ru: 'процент, `0`–`100`'},
  sms_opt_out: {en: '`true` / `false`', ru: '`true` / `false`'},
  archive_reason: {en: 'reason name, empty when active', ru: 'название причины; пусто у активного пациента'},
  status: {en: 'Архивный when archived, else Активный', ru: 'Архивный у архивного пациента, иначе Активный'},
  snils: {en: '`XXX-XXX-XXX YY` when 11 digits, else as is', ru: '`XXX-XXX-XXX YY`, если в нём 11 цифр, иначе как есть'},
  inn: {en: 'digits', ru: 'только цифры'},
  branch: {en: 'branch name', ru: 'название филиала'},
  patient_number: {en: 'as is', ru: 'как есть'},
  advance: {en: 'rubles, 2 decimals', ru: 'рубли, 2 знака после запятой', source: {en: 'balance', ru: 'баланс (см. ниже)'}},
  debt: {en: 'rubles, 2 decimals', ru: 'рубли, 2 знака после запятой', source: {en: 'balance', ru: 'баланс (см. ниже)'}},
  ident_id: {en: 'the patient id as a decimal string', ru: 'ID пациента десятичной строкой'},
}

/** By deals key (src/config/deals.ts `DEAL_KEYS`): the meaning and, where there is one, the default. */
export const RU_DEAL_KEYS: Readonly<Record<string, Translation & {default?: Translation}>> = {
  'deals.pipeline_id': {
    en: 'id of the amoCRM pipeline of the deals (`fields create` makes «Приёмы IDENT» and saves it)',
    ru: 'id воронки сделок в amoCRM (`fields create` создаёт «Приёмы IDENT» и сохраняет его)',
  },
  'deals.stages.<key>': {
    en: 'id of the stage for each key: booked, came, done, paid, cancelled, no_show (`fields check --fix` finds them by name)',
    ru: 'id этапа для каждого ключа: booked, came, done, paid, cancelled, no_show (`fields check --fix` находит их по названию)',
    default: {en: 'paid `142`, cancelled `143`', ru: 'paid `142`, cancelled `143`'},
  },
  'deals.protected_stages': {
    en: 'stage ids the tool never moves a deal out of, comma-separated',
    ru: 'id этапов, из которых программа никогда не переносит сделку, через запятую',
  },
  'deals.claim': {
    en: "a patient's first booking takes the open deal a manager made for the contact",
    ru: 'первая запись пациента занимает открытую сделку, которую менеджер завёл на контакт',
    default: {en: '`true`', ru: '`true`'},
  },
  'deals.claim_pipelines': {
    en: 'pipeline ids where deals are claimed, comma-separated',
    ru: 'id воронок, в которых занимаются сделки, через запятую',
    default: {en: 'the deals pipeline', ru: 'воронка сделок'},
  },
  'deals.responsible_user_id': {
    en: 'amoCRM user responsible for deals whose doctor has no user of their own',
    ru: 'ответственный пользователь amoCRM для сделок, у врача которых нет своего пользователя',
  },
  'deals.users.<staff id>': {
    en: 'amoCRM user id of an IDENT doctor (`Staffs.ID`)',
    ru: 'id пользователя amoCRM для врача IDENT (`Staffs.ID`)',
  },
  'fields.deal.<key>.id': {
    en: 'amoCRM id of a deal field (reception_id, start, end, doctor, chair, branch, services, ident_status, cancel_reason, first_visit); `fields.deal.<key> false` never sends it',
    ru: 'id поля сделки в amoCRM (reception_id, start, end, doctor, chair, branch, services, ident_status, cancel_reason, first_visit); `fields.deal.<key> false` — никогда не отправлять его',
  },
}

/** By deal field key (src/fields/deal-catalogue.ts `value`). */
export const RU_DEAL_FIELDS: Readonly<Record<string, Translation>> = {
  reception_id: {
    en: "the reception id as a decimal string: the deal's identity",
    ru: 'id приёма десятичной строкой: по нему сделка узнаётся',
  },
  start: {en: "RFC 3339 with the clinic's offset", ru: 'RFC 3339 со смещением часового пояса клиники'},
  end: {en: "RFC 3339 with the clinic's offset", ru: 'RFC 3339 со смещением часового пояса клиники'},
  doctor: {en: '`Фамилия И. О.` of the doctor', ru: '`Фамилия И. О.` врача'},
  chair: {en: 'the chair', ru: 'кресло'},
  branch: {en: 'branch of the chair, else of the order', ru: 'филиал кресла, иначе счёта'},
  services: {en: 'one per line, `Name × count`, cut to fit', ru: 'по одной в строке, `Название × количество`, обрезается по размеру поля'},
  ident_status: {
    en: 'Записан / Пришёл / На приёме / Приём завершён / Счёт выдан / Отменён / Не пришёл',
    ru: 'Записан / Пришёл / На приёме / Приём завершён / Счёт выдан / Отменён / Не пришёл',
  },
  cancel_reason: {en: 'reason name, then `: comment` when there is one', ru: 'название причины, затем `: комментарий`, если он есть'},
  first_visit: {en: '`true` when the patient has no earlier visit', ru: '`true`, когда у пациента нет более раннего визита'},
}

/** By stage key (src/fields/deal-catalogue.ts `DEAL_STAGES[].when`). */
export const RU_DEAL_STAGES: Readonly<Record<string, Translation>> = {
  booked: {en: 'booked, not yet due', ru: 'записан, время ещё не прошло'},
  came: {en: 'the patient came or the visit started', ru: 'пациент пришёл или приём начался'},
  done: {en: 'the visit ended', ru: 'приём завершён'},
  paid: {en: 'the bill was issued', ru: 'выдан счёт'},
  cancelled: {en: 'cancelled (with a reason when there is one)', ru: 'отменён (с причиной, если она указана)'},
  no_show: {
    en: 'the planned end plus the grace hours passed with no visit',
    ru: 'после планового окончания прошло `DEALS_NO_SHOW_HOURS` часов, а пациент не пришёл',
  },
}
