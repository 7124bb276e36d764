/** A recovery key shown to be written down (or read out over the phone): numbered groups,
 * large; `size="huge"` for a device key read out to someone at a locked machine. */
export function KeyGroups({ groups, label, size }: { groups: string[]; label: string; size?: 'huge' }) {
  return (
    <ol class={size === 'huge' ? 'key-groups huge' : 'key-groups'} aria-label={label} data-testid="key-groups">
      {groups.map((group, i) => (
        <li key={i}>
          <span class="group-number" aria-hidden="true">
            {i + 1}
          </span>
          <span class="group-digits">{group}</span>
        </li>
      ))}
    </ol>
  );
}
