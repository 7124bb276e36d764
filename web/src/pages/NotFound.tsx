import { PageHeading } from '../components/PageHeading';
import { paths } from '../router';

export function NotFound() {
  return (
    <>
      <PageHeading title="Page not found">Page not found</PageHeading>
      <p>
        There is no such page. <a href={paths.workspaces}>Go to your workspaces</a>.
      </p>
    </>
  );
}
