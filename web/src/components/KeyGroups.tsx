/** A recovery key shown to be written down: 8 numbered groups of 6 digits, large. */
export function KeyGroups({ groups, label }: { groups: string[]; label: string }) {
  return (
    <ol class="key-groups" aria-label={label} data-testid="key-groups">
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
