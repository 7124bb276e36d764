import { useId } from 'preact/hooks';

/** Where the token goes in the commands: it is pasted there by whoever runs them. */
const TOKEN_PLACEHOLDER = 'PASTE-THE-TOKEN-HERE';

/**
 * How a device agent or deployment script submits its device's key with a token: the flags of
 * `keyhaven escrow submit` (crates/cli/src/device.rs). The token goes in KEYHAVEN_ESCROW_TOKEN,
 * never on the command line, where any process list shows it; the commands carry a
 * placeholder, not the token, so that they can be copied to a wiki or a ticket safely.
 */
export function TokenInstructions({ server }: { server: string }) {
  const headingId = useId();
  const windows = [
    `$env:KEYHAVEN_ESCROW_TOKEN = '${TOKEN_PLACEHOLDER}'`,
    `manage-bde -protectors -get C: > "$env:TEMP\\keyhaven-bde.txt"`,
    `keyhaven escrow submit --server ${server} --manage-bde "$env:TEMP\\keyhaven-bde.txt" --volume-type os`,
    `Remove-Item "$env:TEMP\\keyhaven-bde.txt"; Remove-Item Env:\\KEYHAVEN_ESCROW_TOKEN`,
  ];
  const mac = [
    `export KEYHAVEN_ESCROW_TOKEN='${TOKEN_PLACEHOLDER}'`,
    `SERIAL=$(ioreg -rd1 -c IOPlatformExpertDevice | awk -F'"' '/IOPlatformSerialNumber/ {print $4}')`,
    `keyhaven escrow submit --server ${server} --kind filevault --key-id "$SERIAL" --serial "$SERIAL" --os macOS --volume-type os`,
    `unset KEYHAVEN_ESCROW_TOKEN`,
  ];
  const linux = [
    `export KEYHAVEN_ESCROW_TOKEN='${TOKEN_PLACEHOLDER}'`,
    `DEV=/dev/nvme0n1p3`,
    `keyhaven escrow submit --server ${server} --kind luks --key-id "$(sudo cryptsetup luksUUID "$DEV")" --volume "$DEV" --volume-type os`,
    `unset KEYHAVEN_ESCROW_TOKEN`,
  ];
  return (
    <section class="instructions" aria-labelledby={headingId}>
      <h3 id={headingId}>On each device</h3>
      <p>
        Run these on the device, with the <span class="mono">keyhaven</span> command line installed,
        after replacing <span class="mono">{TOKEN_PLACEHOLDER}</span> with the token. The token is
        passed in the environment variable <span class="mono">KEYHAVEN_ESCROW_TOKEN</span>, not as{' '}
        <span class="mono">--token</span>, because every process list shows a command's arguments.
        In a deployment tool (Intune, Jamf, Ansible), keep the token in the tool's secret variables
        rather than in the script's text. The device name is the machine's host name unless you
        add <span class="mono">--device NAME</span>.
      </p>
      <h4>Windows (BitLocker), in PowerShell as administrator</h4>
      <pre class="command">
        <code>{windows.join('\n')}</code>
      </pre>
      <p class="hint">
        The saved <span class="mono">manage-bde</span> output holds the recovery password: the last
        line deletes it. Keyhaven reads the English output of manage-bde; for another volume, use
        its letter and <span class="mono">--volume-type fixed</span>.
      </p>
      <h4>macOS (FileVault), in Terminal</h4>
      <pre class="command">
        <code>{mac.join('\n')}</code>
      </pre>
      <p class="hint">
        Type the personal recovery key at the hidden prompt (6 groups of 4, as{' '}
        <span class="mono">fdesetup</span> showed it when FileVault was turned on); a script can pass
        it on standard input or in <span class="mono">KEYHAVEN_DEVICE_KEY</span> instead. The key is
        filed under the Mac's serial number, which the helpdesk can search for.
      </p>
      <h4>Linux (LUKS), in a shell</h4>
      <pre class="command">
        <code>{linux.join('\n')}</code>
      </pre>
      <p class="hint">
        Set <span class="mono">DEV</span> to the encrypted partition (<span class="mono">lsblk -f</span>{' '}
        lists it as crypto_LUKS). Type the volume's recovery key or passphrase at the hidden
        prompt (a script can pass it on standard input or in{' '}
        <span class="mono">KEYHAVEN_DEVICE_KEY</span>); it is filed under the volume's LUKS UUID.
        A volume without a recovery key can be given one with{' '}
        <span class="mono">sudo systemd-cryptenroll --recovery-key "$DEV"</span> first.
      </p>
    </section>
  );
}
