// Secrets never leave the process: API keys, tokens and passwords are replaced in every URL
// and text that may be shown, logged, summarised or stored. The one place they pass: errors
// are built through it (HarvestError), URLs shown through redactUrl, and the logger runs every
// line through redactDeep.

const REDACTED = 'REDACTED';
/** Query parameters named like credentials. */
const SECRET_PARAM = /^(?:api[_-]?key|apikey|key|access[_-]?key|token|access[_-]?token|auth|authorization|secret|client[_-]?secret|password|passwd|pwd|signature|sig|credentials?)$/i;
/** URLs inside free text: userinfo and credential-like parameters are redacted in them too. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>]+/gi;

const known = new Set<string>();

/** A value to be replaced wherever it appears (a key from the environment, a password from a URL). */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) known.add(value);
}

/** Every secret registered so far: a worker thread, whose module state starts empty, registers them again. */
export function registeredSecrets(): string[] {
  return [...known];
}

/** The URL as it may be shown: no userinfo, credential-like parameters REDACTED, known secrets replaced. */
export function redactUrl(url: URL | string, params: readonly string[] = []): string {
  let shown: URL;
  try {
    shown = new URL(url);
  } catch {
    return redactKnown(String(url));
  }
  if (shown.username || shown.password) {
    shown.username = '';
    shown.password = '';
  }
  for (const name of [...shown.searchParams.keys()]) {
    if (SECRET_PARAM.test(name) || params.includes(name)) shown.searchParams.set(name, REDACTED);
  }
  return redactKnown(shown.href);
}

/** A text (an error message, a server's exception text) with URLs redacted and known secrets replaced. */
export function redactText(text: string): string {
  if (text === '') return text;
  const urls = text.includes('://') ? text.replace(URL_IN_TEXT, (u) => redactUrl(u.replace(/[.,;)]+$/, '')) + u.slice(u.replace(/[.,;)]+$/, '').length)) : text;
  return redactKnown(urls);
}

function redactKnown(text: string): string {
  let out = text;
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(REDACTED);
  }
  return out;
}

/** Every string in a value (a log line's fields, a summary), redacted; other values as they are. */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactDeep(v, depth + 1);
  return out as T;
}
