import type { Workspace } from '../api';
import { can } from '../roles';
import { type WorkspaceView, paths } from '../router';

/** The device pages of a workspace: find a key (what the helpdesk does most), all keys, and
 * for owners and admins import and enrollment tokens. */
export function DeviceNav({ workspace, view }: { workspace: Workspace; view: WorkspaceView }) {
  const link = (target: WorkspaceView, label: string) => (
    <li>
      <a href={paths.workspace(workspace.id, target)} aria-current={view === target ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <nav class="sub-nav" aria-label="Device recovery keys">
      <ul>
        {link('devices', 'Find a device key')}
        {link('devices-list', 'All devices')}
        {can(workspace.role, 'manage-devices') && link('devices-import', 'Import')}
        {can(workspace.role, 'manage-devices') && link('devices-tokens', 'Enrollment tokens')}
      </ul>
    </nav>
  );
}

/** What a member who cannot open the workspace's escrow key can do about it (the vault's
 * 'refused' error says why). */
export function RefusedHint() {
  return (
    <p class="warning">
      Device recovery keys are sealed to the workspace's escrow key, which owners, admins and
      helpdesk members receive. If your account does not hold it, an owner can share it with you
      again (<span class="mono">keyhaven member reshare YOUR-EMAIL</span>).
    </p>
  );
}
