import { useEffect, useRef, useState } from 'preact/hooks';
import type { DeviceFilter, DeviceKey, Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { DeviceNav, RefusedHint } from '../components/DeviceNav';
import { DevicePanel, useDeviceActions } from '../components/DevicePanel';
import { DeviceTable } from '../components/DeviceTable';
import { CheckBox, Field } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import { PAGE_SIZE, keys as countKeys } from '../devices';
import { useCall } from '../useCall';
import { vault } from '../vault';

/** Every escrowed key of the workspace (metadata only), filtered, one page of 50 at a time. */
export function DeviceList({ workspace }: { workspace: Workspace }) {
  const call = useCall();
  const [device, setDevice] = useState('');
  const [needsRotation, setNeedsRotation] = useState(false);
  const [history, setHistory] = useState(false);
  const [list, setList] = useState<{ keys: DeviceKey[]; filter: DeviceFilter } | null>(null);
  const [page, setPage] = useState(0);
  const actions = useDeviceActions();
  const table = useRef<HTMLDivElement>(null);

  const load = async (filter: DeviceFilter) => {
    const result = await call.run(() => vault.devices(workspace.id, filter));
    if (result.ok) {
      setList({ keys: result.value, filter });
      setPage(0);
    }
  };

  useEffect(() => {
    void load({});
  }, [workspace.id]);

  const apply = (event: Event) => {
    event.preventDefault();
    const filter: DeviceFilter = {};
    if (device.trim() !== '') filter.device = device.trim();
    if (needsRotation) filter.needsRotation = true;
    if (history) filter.history = true;
    actions.setOpen(null);
    void load(filter);
  };

  const all = list?.keys ?? [];
  const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const rows = all.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE).map(actions.shown);
  const go = (to: number) => {
    if (to < 0 || to >= pages) return;
    setPage(to);
    table.current?.querySelector('caption')?.scrollIntoView({ block: 'nearest' });
  };
  const open = actions.open;
  const filtered = list && (list.filter.device || list.filter.needsRotation || list.filter.history);

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
            {all.length === 0
              ? filtered
                ? 'No key matches these filters.'
                : 'No device key is escrowed yet: import some.'
              : `${countKeys(all.length)}${pages > 1 ? `, ${PAGE_SIZE} per page` : ''}.`}
          </p>
          {all.length > 0 && (
            <div ref={table}>
              <DeviceTable
                keys={rows}
                caption={`Device keys, page ${current + 1} of ${pages}`}
                selected={open && { id: open.key.id, action: open.action }}
                onAction={(key, action) => actions.setOpen({ key, action })}
              />
              <nav class="pager" aria-label="Pages of device keys">
                <button
                  type="button"
                  aria-disabled={current === 0 ? 'true' : undefined}
                  onClick={() => go(current - 1)}
                >
                  Previous
                </button>
                <span class="page-of" aria-live="polite">
                  Page {current + 1} of {pages}
                </span>
                <button
                  type="button"
                  aria-disabled={current >= pages - 1 ? 'true' : undefined}
                  onClick={() => go(current + 1)}
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
        />
      )}
    </>
  );
}
