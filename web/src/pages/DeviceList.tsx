import { useEffect, useRef, useState } from 'preact/hooks';
import type { DeviceFilter, DeviceKey, Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { DeviceNav, RefusedHint } from '../components/DeviceNav';
import { DeviceSettingsForm } from '../components/DeviceSettingsForm';
import { DevicePanel, useDeviceActions } from '../components/DevicePanel';
import { DeviceTable } from '../components/DeviceTable';
import { CheckBox, Field } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import { PAGE_SIZE, keys as countKeys } from '../devices';
import { useCall } from '../useCall';
import { can } from '../roles';
import { vault } from '../vault';

/**
 * Every escrowed key of the workspace (metadata only), filtered, one page of 50 at a time.
 * Pages come from the server one by one (a fleet of 10,000 is never fetched at once), in the
 * order the keys were stored: the server cannot sort by device name, which only the vault
 * can read. Finding one device is the search page's job, or the device filter's here.
 */
export function DeviceList({ workspace }: { workspace: Workspace }) {
  const call = useCall();
  const [device, setDevice] = useState('');
  const [needsRotation, setNeedsRotation] = useState(false);
  const [history, setHistory] = useState(false);
  // The page shown, and the cursors of the pages before it (to go back).
  const [list, setList] = useState<{
    keys: DeviceKey[];
    next: string | null;
    filter: DeviceFilter;
    cursors: (string | null)[];
  } | null>(null);
  const actions = useDeviceActions();
  const table = useRef<HTMLDivElement>(null);

  /** `scroll`: to the table's top (a new page); not when the same page is reloaded. */
  const load = async (filter: DeviceFilter, cursors: (string | null)[], scroll = true) => {
    const after = cursors[cursors.length - 1] ?? null;
    const result = await call.run(() => vault.devices(workspace.id, filter, after, PAGE_SIZE));
    if (result.ok) {
      setList({ keys: result.value.keys, next: result.value.next, filter, cursors });
      if (scroll) table.current?.querySelector('caption')?.scrollIntoView({ block: 'nearest' });
    }
  };

  useEffect(() => {
    void load({}, [null]);
  }, [workspace.id]);

  const apply = (event: Event) => {
    event.preventDefault();
    const filter: DeviceFilter = {};
    if (device.trim() !== '') filter.device = device.trim();
    if (needsRotation) filter.needsRotation = true;
    if (history) filter.history = true;
    actions.setOpen(null);
    void load(filter, [null]);
  };

  const keys = list?.keys ?? [];
  const pageNumber = list?.cursors.length ?? 1;
  const hasPrevious = pageNumber > 1;
  const hasNext = list?.next != null;
  const previous = () => {
    if (!list || !hasPrevious || call.busy) return;
    void load(list.filter, list.cursors.slice(0, -1));
  };
  const next = () => {
    if (!list || list.next == null || call.busy) return;
    void load(list.filter, [...list.cursors, list.next]);
  };
  const rows = keys.map(actions.shown);
  const open = actions.open;
  const filtered = list && (list.filter.device || list.filter.needsRotation || list.filter.history);
  const paged = hasPrevious || hasNext;
  const first = (pageNumber - 1) * PAGE_SIZE + 1;

  return (
    <>
      <PageHeading title={`${workspace.name}: device keys`}>Device keys of “{workspace.name}”</PageHeading>
      <DeviceNav workspace={workspace} view="devices-list" />
      <form class="filters" onSubmit={apply} noValidate aria-label="Filter device keys">
        <Field
          label="Device name"
          hint="Its exact name, any case; empty for every device"
          value={device}
          onInput={setDevice}
          autoComplete="off"
        />
        <CheckBox label="Needs rotation (revealed or exported since stored)" checked={needsRotation} onChange={setNeedsRotation} />
        <CheckBox label="Show replaced keys (history)" checked={history} onChange={setHistory} />
        <button type="submit" class="primary" disabled={call.busy}>
          Apply filters
        </button>
      </form>
      <CallStatus call={call} />
      {call.error?.kind === 'refused' && <RefusedHint />}
      {list && (
        <section aria-labelledby="device-keys">
          <h2 id="device-keys">{filtered ? 'Keys matching the filters' : 'All keys'}</h2>
          <p class="count" aria-live="polite">
            {keys.length === 0
              ? hasPrevious
                ? 'No more keys.'
                : filtered
                  ? 'No key matches these filters.'
                  : 'No device key is escrowed yet: import some.'
              : paged
                ? `Keys ${first.toLocaleString('en-US')} to ${(first + keys.length - 1).toLocaleString('en-US')}, ${PAGE_SIZE} per page, in the order they were stored.`
                : `${countKeys(keys.length)}.`}
          </p>
          {keys.length > 0 && (
            <div ref={table}>
              <DeviceTable
                keys={rows}
                caption={paged ? `Device keys, page ${pageNumber}` : 'Device keys'}
                selected={open && { id: open.key.id, action: open.action }}
                onAction={(key, action) => actions.setOpen({ key, action })}
              />
              <nav class="pager" aria-label="Pages of device keys">
                <button
                  type="button"
                  aria-disabled={hasPrevious ? undefined : 'true'}
                  onClick={previous}
                >
                  Previous
                </button>
                <span class="page-of" aria-live="polite">
                  Page {pageNumber}{hasNext ? '' : ' (the last)'}
                </span>
                <button
                  type="button"
                  aria-disabled={hasNext ? undefined : 'true'}
                  onClick={next}
                >
                  Next
                </button>
              </nav>
            </div>
          )}
        </section>
      )}
      {open && (
        <DevicePanel
          key={`${open.key.id}:${open.action}`}
          workspaceId={workspace.id}
          deviceKey={actions.shown(open.key)}
          action={open.action}
          onUsed={actions.markUsed}
          onClose={() => actions.setOpen(null)}
          onResolved={() => list && void load(list.filter, list.cursors, false)}
        />
      )}
      {can(workspace.role, 'manage-devices') && <DeviceSettingsForm workspaceId={workspace.id} />}
    </>
  );
}
