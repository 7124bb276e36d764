import type { Workspace } from '../api';
import { canOpenDevices } from '../devices';
import { type WorkspaceView, paths } from '../router';

/** The workspace's own navigation: its secrets, (owners, admins, helpdesk) its device
 * recovery keys and (owners) its administration. */
export function WorkspaceNav({ workspace, view }: { workspace: Workspace; view: WorkspaceView }) {
  const link = (target: WorkspaceView, label: string, current: boolean) => (
    <li>
      <a href={paths.workspace(workspace.id, target)} aria-current={current ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <nav class="ws-nav" aria-label={`Workspace ${workspace.name}`}>
      <ul>
        {link('secrets', 'Secrets', view === 'secrets')}
        {canOpenDevices(workspace.role) &&
          link('devices', 'Devices', view === 'devices' || view === 'devices-list' || view === 'devices-import')}
        {workspace.role === 'owner' &&
          link('admin', 'Administration', view === 'admin' || view === 'generate' || view === 'validate')}
      </ul>
    </nav>
  );
}
