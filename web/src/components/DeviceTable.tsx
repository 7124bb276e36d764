import type { DeviceKey } from '../api';
import { DEVICE_KIND_LABELS, describeKey, stateOf } from '../devices';
import { isoDate } from '../format';

/** What a row's buttons open; 'review' only on a conflict (a token submission to accept or
 * reject). */
export type DeviceAction = 'reveal' | 'check' | 'export' | 'review';

const REVIEW = { action: 'review' as const, label: 'Review', hidden: ' the conflicting submission for' };

const ACTIONS: { action: DeviceAction; label: string; hidden: string }[] = [
  { action: 'reveal', label: 'Reveal', hidden: ' the key of' },
  { action: 'check', label: 'Check', hidden: ' a typed key against' },
  { action: 'export', label: 'Export', hidden: ' the key of' },
];

/** Escrowed keys, metadata only (the key itself is never listed), each with its actions. */
export function DeviceTable({
  keys,
  caption,
  selected,
  onAction,
  busy,
}: {
  keys: DeviceKey[];
  caption: string;
  /** The key and action whose panel is open. */
  selected: { id: string; action: DeviceAction } | null;
  onAction: (key: DeviceKey, action: DeviceAction) => void;
  /** A newer answer is on its way: these rows are the previous one's. */
  busy?: boolean;
}) {
  return (
    <table class="list devices" aria-busy={busy ? 'true' : undefined}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Device</th>
          <th scope="col">Volume</th>
          <th scope="col">Kind</th>
          <th scope="col">Key ID</th>
          <th scope="col">Added</th>
          <th scope="col">State</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => {
          const state = stateOf(k);
          const described = describeKey(k);
          // A conflict is what needs deciding: its review comes first.
          const actions = k.conflict ? [REVIEW, ...ACTIONS] : ACTIONS;
          return (
            <tr key={k.id} class={selected?.id === k.id ? 'selected' : undefined}>
              <th scope="row" class="device-name">
                {k.device}
              </th>
              <td>{k.volume}</td>
              <td>{DEVICE_KIND_LABELS[k.kind] ?? k.kind}</td>
              <td class="mono key-id">{k.keyId}</td>
              <td class="added">{isoDate(k.addedAt)}</td>
              <td>
                <span class={`state state-${state.replace(/ /g, '-')}`}>{state}</span>
              </td>
              <td>
                <div class="row-actions">
                  {actions.map(({ action, label, hidden }) => (
                    <button
                      type="button"
                      class="small"
                      key={action}
                      aria-current={selected?.id === k.id && selected.action === action ? 'true' : undefined}
                      onClick={() => onAction(k, action)}
                    >
                      {label}
                      <span class="visually-hidden">
                        {hidden} {described}
                      </span>
                    </button>
                  ))}
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
