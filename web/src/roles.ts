// What each role of a workspace may do, as the server's rules say (docs/protocol.md §19;
// crates/server/src/access.rs). The page hides what a role cannot do; the server refuses it
// anyway, and its refusal is shown as it words it.

import type { Role } from './api';

export type Ability =
  /** See and reveal secrets. */
  | 'read-secrets'
  /** Add, edit and delete secrets. */
  | 'write-secrets'
  /** Invite, add, remove members and change their roles. */
  | 'manage-members'
  | 'read-audit'
  /** Find, list, reveal, check and export device keys; resolve token conflicts. */
  | 'read-devices'
  /** Import device keys; create and revoke enrollment tokens. */
  | 'manage-devices'
  /** Generate and validate the recovery key. */
  | 'recovery-key';

const ABILITIES: Record<Ability, readonly Role[]> = {
  'read-secrets': ['owner', 'admin', 'member', 'read-only'],
  'write-secrets': ['owner', 'admin', 'member'],
  'manage-members': ['owner', 'admin'],
  'read-audit': ['owner', 'admin'],
  'read-devices': ['owner', 'admin', 'helpdesk'],
  'manage-devices': ['owner', 'admin'],
  'recovery-key': ['owner'],
};

export function can(role: string, ability: Ability): boolean {
  return (ABILITIES[ability] as readonly string[]).includes(role);
}

/** Who may, in words: "owners, admins and helpdesk members". */
export function whoMay(ability: Ability): string {
  const names: Record<Role, string> = {
    owner: 'owners',
    admin: 'admins',
    member: 'members',
    'read-only': 'read-only members',
    helpdesk: 'helpdesk members',
  };
  const list = ABILITIES[ability].map((r) => names[r]);
  return list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'everything, including the recovery key',
  admin: 'secrets, members, device keys and the audit log',
  member: 'reads and writes secrets',
  'read-only': 'reads secrets, changes nothing',
  helpdesk: 'finds and reveals device recovery keys; no secrets',
};
