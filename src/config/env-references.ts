import type { PathSegment } from './yaml-source.js';

/** A problem at a path inside the file, before it has a line. */
export interface PathIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** Point at the key instead of the value. */
  readonly at?: 'key' | 'value';
}

/** Keys whose value is a secret: only a bare `${VAR}` reference is accepted. */
export const SECRET_KEYS: readonly string[] = Object.freeze([
  'clientSecret',
  'privateKeyPem',
  'password',
  'accessToken',
  'refreshToken',
  'secret',
]);

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const INNER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const BARE_REFERENCE = /^\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*$/;

/** How `resolveEnvReferences` treats `${VAR}`: substitute it from `env`, or leave it as written (see `referenced`). */
export type EnvReferenceMode = 'resolve' | 'leave';

/**
 * Substitutes `${VAR}` (and `${VAR:-default}`) in every string value from `env`, and checks that secrets are only
 * references. `$${` writes a literal `${`. Never stops at the first problem, and never puts a value in a message.
 * With mode `leave`, nothing is substituted and `env` is not read: every string keeps its references as written, and
 * `referenced` lists where they are (for checks that need the file's structure but no connection settings or
 * secrets). Malformed references and literal secrets are issues in both modes.
 *
 * @example
 * ```ts
 * resolveEnvReferences({ crm: { auth: { clientSecret: '${SF_SECRET}' } } }, { SF_SECRET: 's3cr3t' })
 * // { value: { crm: { auth: { clientSecret: 's3cr3t' } } }, issues: [] }
 * ```
 */
export function resolveEnvReferences(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  mode: EnvReferenceMode = 'resolve',
): { value: unknown; issues: PathIssue[]; referenced: (readonly PathSegment[])[] } {
  const issues: PathIssue[] = [];
  const referenced: (readonly PathSegment[])[] = [];
  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    if (typeof node !== 'string') return node;
    const key = path[path.length - 1];
    if (typeof key === 'string') issues.push(...secretIssues(key, node, path));
    let references = 0;
    const substituted = node.replace(REFERENCE, (match, inner: string | undefined) => {
      if (inner === undefined) return mode === 'leave' ? match : '${';
      const parsed = INNER.exec(inner);
      if (parsed === null) {
        issues.push({
          path,
          message: `malformed environment reference '${match}'; write \${NAME} or \${NAME:-default} with NAME made of letters, digits and _`,
        });
        return match;
      }
      references += 1;
      if (mode === 'leave') return match;
      const [, name = '', fallback] = parsed;
      const set = env[name];
      if (set !== undefined) return set;
      if (fallback !== undefined) return fallback;
      issues.push({
        path,
        message:
          `environment variable '${name}' is not set. Fix: set ${name} in the environment of tandem` +
          (typeof key === 'string' && SECRET_KEYS.includes(key) ? '' : `, or give a default: \${${name}:-value}`),
      });
      return '';
    });
    if (references > 0) referenced.push(path);
    return substituted;
  };
  return { value: walk(value, []), issues, referenced };
}

function secretIssues(key: string, raw: string, path: readonly PathSegment[]): PathIssue[] {
  if (SECRET_KEYS.includes(key)) {
    if (BARE_REFERENCE.test(raw)) return [];
    return [
      {
        path,
        message:
          `${key} must be an environment reference, not a literal value, so the secret stays out of the file. ` +
          `Fix: write ${key}: \${${suggestedVariable(key)}} and set that variable in tandem's environment`,
      },
    ];
  }
  if (key === 'url' || key.endsWith('Url')) {
    const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(raw)?.[1];
    const password = userinfo?.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : undefined;
    const queryPassword = /[?&]password=([^&#]*)/i.exec(raw)?.[1];
    const literal = [password, queryPassword].some((p) => p !== undefined && p !== '' && !BARE_REFERENCE.test(p));
    if (literal) {
      return [
        {
          path,
          message:
            `${key} holds a literal password; a password may only appear as an environment reference. ` +
            `Fix: ${key}: \${DATABASE_URL} for the whole URL, or postgres://user:\${PGPASSWORD}@host/db`,
        },
      ];
    }
  }
  return [];
}

function suggestedVariable(key: string): string {
  const names: Record<string, string> = {
    clientSecret: 'SF_CLIENT_SECRET',
    privateKeyPem: 'SF_PRIVATE_KEY_PEM',
    password: 'PASSWORD',
    secret: 'TANDEM_WEBHOOK_SECRET',
  };
  return names[key] ?? key.toUpperCase();
}
