import { useId, useState } from 'preact/hooks';
import type { CreatedToken } from '../api';
import { CLEAR_AFTER_SECONDS, copyForAWhile } from '../clipboard';
import { isoDate } from '../format';
import { StepHeading } from './PageHeading';
import { TokenInstructions } from './TokenInstructions';

/**
 * A token just made: its text, shown this once (Keyhaven keeps only a hash), to copy, with
 * how a device uses it. "Done" drops it from the page.
 */
export function TokenCreated({ created, onDone }: { created: CreatedToken; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const headingId = useId();
  const tokenId = useId();
  const name = created.listing.name;

  const copy = async () => {
    setCopied(null);
    setFailed(null);
    try {
      await copyForAWhile(created.token);
      setCopied(`Copied; the clipboard is cleared in ${CLEAR_AFTER_SECONDS} s.`);
    } catch (e) {
      setFailed(`Could not copy to the clipboard: ${e instanceof Error ? e.message : String(e)}. Select the token and copy it yourself.`);
    }
  };

  return (
    <section class="panel new-token" aria-labelledby={headingId}>
      <StepHeading>
        <span id={headingId}>New token: copy it now</span>
      </StepHeading>
      <p>
        {name ? `Token “${name}”` : 'A token without a label'}, valid until {isoDate(created.listing.expiresAt)} (UTC). Give
        it to the device agents or deployment scripts that add keys.
      </p>
      <div class="field">
        <label for={tokenId}>The token (shown once)</label>
        {/* Its text is also the element's content, so it reads the same whichever way it is
            taken (value or text). Read-only: it is selected whole on focus. */}
        <textarea
          id={tokenId}
          class="token mono"
          rows={2}
          readOnly
          spellcheck={false}
          autoComplete="off"
          value={created.token}
          onFocus={(e) => e.currentTarget.select()}
        >
          {created.token}
        </textarea>
      </div>
      <p class="warning">It is shown once: Keyhaven keeps only a hash.</p>
      <div class="buttons">
        <button type="button" class="primary" onClick={() => void copy()}>
          Copy token
        </button>
      </div>
      <p class="hint">Copying puts it on the clipboard for {CLEAR_AFTER_SECONDS} s; the clipboard is then cleared.</p>
      <div class="status" role="status" aria-live="polite">
        {copied && <p>{copied}</p>}
      </div>
      {failed && (
        <div class="error" role="alert">
          <p>{failed}</p>
        </div>
      )}
      <TokenInstructions server={location.origin} />
      <div class="buttons">
        <button type="button" onClick={onDone}>
          Done, hide the token
        </button>
      </div>
    </section>
  );
}
