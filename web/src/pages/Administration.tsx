import type { Workspace } from '../api';
import { PageHeading } from '../components/PageHeading';
import { RecoveryStatus } from '../components/RecoveryStatus';
import { paths } from '../router';

/** Administration: the workspace's recovery key and what to do with it. */
export function Administration({ workspace }: { workspace: Workspace }) {
  return (
    <>
      <PageHeading title={`${workspace.name}: administration`}>Administration of “{workspace.name}”</PageHeading>
      <section aria-labelledby="recovery-key">
        <h2 id="recovery-key">Recovery key</h2>
        <p>
          The recovery key restores the link between your account and this workspace if the password
          is lost or reset. Keyhaven does not keep it: keep it somewhere safe and offline.
        </p>
        <RecoveryStatus recovery={workspace.recovery} />
        <ul class="actions">
          <li>
            <a href={paths.workspace(workspace.id, 'generate')}>Generate recovery key</a>: a new
            permanent key that replaces the current one.
          </li>
          <li>
            <a href={paths.workspace(workspace.id, 'validate')}>Validate recovery key</a>: confirm
            you still have it (asked every six months).
          </li>
        </ul>
      </section>
    </>
  );
}
