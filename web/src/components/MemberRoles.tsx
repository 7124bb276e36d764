import type { Role } from '../api';
import { ROLE_DESCRIPTIONS } from '../roles';

/** The roles a member can have, most access first (as the invite form offers them). */
export const MEMBER_ROLES: readonly Role[] = ['owner', 'admin', 'member', 'read-only', 'helpdesk'];

/** What a role may do, in a few words ('' for a role this page does not know). */
export function describeRole(role: string): string {
  return (ROLE_DESCRIPTIONS as Record<string, string>)[role] ?? '';
}

/** The <option>s of a role select, each explained. */
export function RoleOptions() {
  return (
    <>
      {MEMBER_ROLES.map((role) => (
        <option key={role} value={role}>
          {role}: {describeRole(role)}
        </option>
      ))}
    </>
  );
}

/** A role and what it may do, as a table cell shows them. */
export function RoleWithDescription({ role }: { role: string }) {
  const description = describeRole(role);
  return (
    <>
      <span class="role-name">{role}</span>
      {description && <span class="role-description">{description}</span>}
    </>
  );
}
