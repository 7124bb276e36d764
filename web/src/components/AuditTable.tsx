import { Fragment } from 'preact';
import type { AuditEvent } from '../api';

/**
 * Who the ids of the log are, by the workspace's verified roster and its token list (the
 * chain records `account:<uuid>` and `token:<uuid>`; the server never names them).
 */
export interface AuditNames {
  /** Account id → email. */
  accounts: ReadonlyMap<string, string>;
  /** Enrollment token id → its label. */
  tokens: ReadonlyMap<string, string>;
  /** Secret (item) id → its name, as this browser decrypted it. */
  items: ReadonlyMap<string, string>;
}

export const NO_NAMES: AuditNames = { accounts: new Map(), tokens: new Map(), items: new Map() };

/** What each kind of event says, as the server names kinds (crates/server/src/store/audit.rs). */
const KIND_WORDING: Record<string, string> = {
  'account-created': 'created the account',
  login: 'signed in',
  logout: 'signed out',
  'password-reset': 'reset the account password',
  'password-changed': 'changed the account password',
  'workspace-created': 'created the workspace',
  'member-password-reset': 'reset their password (to be relinked by an owner or admin)',
  'item-added': 'added a secret',
  'item-changed': 'changed a secret',
  'item-deleted': 'deleted a secret',
  'recovery-key-generated': 'generated a recovery key',
  'recovery-key-validated': 'validated the recovery key',
  'recovery-key-rejected': 'typed a wrong recovery key',
  'recovery-shares-released': 'proved the recovery key and received its shares',
  'recovery-key-used': 'used the recovery key (emergency reset)',
  'recovery-key-expired': 'temporary recovery key expired',
  'member-invited': 'invited a member',
  'invitation-created': 'invited a member',
  'invitation-accepted': 'accepted an invitation',
  'member-added': 'added a member',
  'member-role-changed': "changed a member's role",
  'role-changed': "changed a member's role",
  'member-removed': 'removed a member',
  'member-relinked': 'relinked a member',
  'keys-reshared': 'shared the workspace keys again',
  'device-keys-added': 'added device keys',
  'device-keys-submitted': 'submitted device keys with an enrollment token',
  'device-keys-indexed': 'indexed device keys submitted with a token',
  'device-key-revealed': 'revealed a device key',
  'device-key-exported': 'exported a device key',
  'device-key-checked': 'checked a typed key against a device key',
  'device-key-deleted': 'deleted a device key',
  'device-key-conflict-resolved': 'resolved a conflicting device key',
  'conflict-resolved': 'resolved a conflicting device key',
  'escrow-token-created': 'created an enrollment token',
  'escrow-token-revoked': 'revoked an enrollment token',
  'device-setting-changed': 'changed a device-key setting',
};

/** A kind in words; an unknown kind as it is. */
export function kindWording(event: AuditEvent, details: Record<string, unknown> | null): string {
  if (event.kind === 'device-key-conflict-resolved' && details && typeof details.accepted === 'boolean') {
    return details.accepted ? 'accepted a conflicting device key' : 'rejected a conflicting device key';
  }
  return KIND_WORDING[event.kind] ?? event.kind;
}

/** The actor in words: an account by its email, a token by its label. */
export function actorName(actor: string, names: AuditNames): string {
  if (actor === 'server') return 'the server';
  if (actor.startsWith('account:')) return names.accounts.get(actor.slice('account:'.length)) ?? actor;
  if (actor.startsWith('token:')) {
    const id = actor.slice('token:'.length);
    const label = names.tokens.get(id);
    return label ? `enrollment token “${label}”` : `enrollment token ${id}`;
  }
  return actor;
}

/** The ISO 8601 form of a time, or null when it is none (out of range). */
function isoTime(unixSeconds: number): string | null {
  const date = new Date(unixSeconds * 1000);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** "2025-04-01 14:03:22 UTC". */
export function utcTime(unixSeconds: number): string {
  const iso = isoTime(unixSeconds);
  return iso === null ? String(unixSeconds) : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** The details' JSON as an object, or null (not JSON, or not an object). */
export function parseDetails(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

interface Detail {
  label: string;
  value: string;
  mono?: boolean;
}

/** Fields that say nothing to a reader (positions in the roster chain, record ids named elsewhere). */
const SKIPPED = new Set(['roster_seq', 'roster_entries', 'escrowed']);

const LABELS: Record<string, string> = {
  reason: 'Reason',
  email: 'Email',
  role: 'Role',
  account: 'Member',
  relinked: 'Relinked',
  recipients: 'Recipients',
  shares: 'Shares',
  token: 'Token',
  expires_at: 'Expires',
  accepted: 'Decision',
  key_id: 'Recovery key ID',
  recovery_key_id: 'Recovery key ID',
  recovery_key_kind: 'Recovery key kind',
  kind: 'Kind',
  replaced: 'Replaced',
  name: 'Name',
  item: 'Secret',
  revision: 'Revision',
  withdrawn: 'Keys withdrawn',
  tokens_revoked: 'Tokens revoked',
  sessions_revoked: 'Sessions ended',
  workspaces_to_relink: 'Workspaces to relink',
  device_key: 'Device key record',
  device_keys: 'Device key records',
};

function humanized(key: string): string {
  const words = key.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

function list(value: unknown, each: (v: unknown) => string): string {
  if (!Array.isArray(value)) return each(value);
  if (value.length === 0) return 'none';
  if (value.length > 5) return `${value.length.toLocaleString('en-US')} of them`;
  return value.map(each).join(', ');
}

/** The details worth reading, in order of the record; none assumed to be there. */
export function detailsOf(event: AuditEvent, details: Record<string, unknown> | null, names: AuditNames): Detail[] | { raw: string } {
  if (details === null) {
    const raw = event.details.trim();
    return raw === '' || raw === 'null' ? [] : { raw };
  }
  const account = (v: unknown) => (typeof v === 'string' ? (names.accounts.get(v) ?? v) : scalar(v));
  const out: Detail[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (SKIPPED.has(key)) continue;
    // Named in the device keys column when this browser could name them.
    if ((key === 'device_key' || key === 'device_keys') && event.deviceKeys.length > 0) continue;
    const label = LABELS[key] ?? humanized(key);
    switch (key) {
      case 'account':
      case 'relinked':
        out.push({ label, value: account(value), mono: typeof value === 'string' && !names.accounts.has(value) });
        break;
      case 'recipients':
        out.push({ label, value: list(value, account) });
        break;
      case 'token': {
        const tokenLabel = typeof value === 'string' ? names.tokens.get(value) : undefined;
        out.push(tokenLabel ? { label, value: `“${tokenLabel}”` } : { label, value: scalar(value), mono: true });
        break;
      }
      case 'expires_at':
        out.push({ label, value: typeof value === 'number' ? utcTime(value) : scalar(value) });
        break;
      case 'accepted':
        out.push({ label, value: value === true ? 'accepted' : value === false ? 'rejected' : scalar(value) });
        break;
      case 'item': {
        const name = typeof value === 'string' ? names.items.get(value) : undefined;
        out.push(name ? { label, value: `“${name}”` } : { label, value: scalar(value), mono: true });
        break;
      }
      case 'key_id':
      case 'recovery_key_id':
      case 'device_key':
        out.push({ label, value: scalar(value), mono: true });
        break;
      case 'device_keys':
        out.push({ label, value: list(value, scalar), mono: true });
        break;
      default:
        out.push({ label, value: Array.isArray(value) ? list(value, scalar) : scalar(value) });
    }
  }
  return out;
}

/** An event as the table shows it, and the text the filter looks in. */
export interface ShownEvent {
  event: AuditEvent;
  /** For <time>; null when the time is out of range. */
  iso: string | null;
  when: string;
  who: string;
  what: string;
  details: Detail[] | { raw: string };
  /** Lower case. */
  searchable: string;
}

export function showEvent(event: AuditEvent, names: AuditNames): ShownEvent {
  const parsed = parseDetails(event.details);
  const who = actorName(event.actor, names);
  const what = kindWording(event, parsed);
  const details = detailsOf(event, parsed, names);
  const detailText = Array.isArray(details) ? details.map((d) => `${d.label} ${d.value}`).join(' ') : details.raw;
  const searchable = [who, event.actor, what, event.kind, ...event.deviceKeys, detailText, event.details]
    .join('\n')
    .toLowerCase();
  return { event, iso: isoTime(event.at), when: utcTime(event.at), who, what, details, searchable };
}

/** The events of one page, newest first; each marked unverified when the chain does not check out. */
export function AuditTable({ events, verified }: { events: ShownEvent[]; verified: boolean }) {
  return (
    <table class="list audit">
      <caption>Events, newest first</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What</th>
          <th scope="col">Device keys</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.event.seq} class={verified ? undefined : 'unverified'}>
            <th scope="row" class="when">
              {e.iso === null ? e.when : <time dateTime={e.iso}>{e.when}</time>}
              {!verified && (
                <>
                  <br />
                  <span class="unverified-mark">unverified</span>
                </>
              )}
            </th>
            <td>{e.who}</td>
            <td>
              {e.what}
              {e.what !== e.event.kind && <span class="raw-kind mono">{e.event.kind}</span>}
            </td>
            <td>
              {e.event.deviceKeys.length > 0 && (
                <ul class="audit-keys">
                  {e.event.deviceKeys.map((k, i) => (
                    <li key={i}>{k}</li>
                  ))}
                </ul>
              )}
            </td>
            <td>
              {Array.isArray(e.details) ? (
                e.details.length > 0 && (
                  <dl class="audit-details">
                    {e.details.map((d, i) => (
                      <Fragment key={i}>
                        <dt>{d.label}</dt>
                        <dd class={d.mono ? 'mono' : undefined}>{d.value}</dd>
                      </Fragment>
                    ))}
                  </dl>
                )
              ) : (
                <span class="mono">{e.details.raw}</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
