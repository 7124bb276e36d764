import type { Banner, WorkspaceSummary } from '../api';
import { days, isoDate } from '../format';
import { paths } from '../router';

/** What a banner asks of the user, in the words of the command line's prompts, with the link
 * that does it. */
function BannerText({ banner, workspace }: { banner: Banner; workspace: WorkspaceSummary }) {
  const name = `“${workspace.name}”`;
  switch (banner.kind) {
    case 'temporary_key':
      return (
        <>
          The temporary recovery key of {name} expires in {days(banner.daysLeft)} (on{' '}
          {isoDate(banner.expiresAt)}): generate a permanent one.{' '}
          <a href={paths.workspace(workspace.id, 'generate')}>Generate a permanent recovery key</a>
        </>
      );
    case 'validation_due':
      return (
        <>
          Recovery key validation of {name} is due (since {isoDate(banner.dueAt)}): confirm you still
          have the key. <a href={paths.workspace(workspace.id, 'validate')}>Validate the recovery key</a>
        </>
      );
    case 'no_valid_key':
      return (
        <>
          {name} has no valid recovery key (the temporary key expired): generate one now.{' '}
          <a href={paths.workspace(workspace.id, 'generate')}>Generate now</a>
        </>
      );
    case 'emergency_reset':
      return (
        <>
          Your password was reset: enter the emergency reset code of {name} (its recovery key
          {banner.shortKeyId && <> whose ID starts with {banner.shortKeyId}</>}).{' '}
          <a href={paths.workspace(workspace.id, 'reset')}>Enter the emergency reset code</a>
        </>
      );
    case 'relink_by_owner':
      return <>Your password was reset: ask an owner of {name} to relink you.</>;
    case 'broken':
      return (
        <>
          {name} does not check out, so nothing of it is shown: {banner.message} This is the
          server's doing: tell its operator.
        </>
      );
  }
}

/** Every workspace's pending chores, shown at the top of each page until they are done. */
export function Banners({ workspaces }: { workspaces: WorkspaceSummary[] }) {
  const items = workspaces.flatMap((workspace) =>
    workspace.banners.map((banner) => ({ workspace, banner })),
  );
  if (items.length === 0) return null;
  return (
    <section class="banners" aria-label="Things to do">
      <ul>
        {items.map(({ workspace, banner }) => (
          <li class={`banner banner-${banner.kind}`} key={`${workspace.id}-${banner.kind}`}>
            <BannerText banner={banner} workspace={workspace} />
          </li>
        ))}
      </ul>
    </section>
  );
}
