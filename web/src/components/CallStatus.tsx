import type { ComponentChildren } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import type { Call } from '../useCall';

/** "N of M" (or "N/M") in a progress message: how far a counted step (importing) got. */
function counted(message: string | undefined): { value: number; max: number } | null {
  const m = message?.match(/(\d[\d,]*)\s*(?:of|\/)\s*(\d[\d,]*)/);
  if (!m) return null;
  const value = Number(m[1]!.replace(/,/g, ''));
  const max = Number(m[2]!.replace(/,/g, ''));
  return max > 0 && value <= max ? { value, max } : null;
}

/**
 * A form's live region: while its call runs, a progress bar (determinate when the worker's
 * message counts, "3 of 10") with the worker's progress message and the seconds elapsed;
 * afterwards `done` (a result); and the call's error as an alert, verbatim.
 */
export function CallStatus({ call, done }: { call: Call; done?: ComponentChildren }) {
  const [elapsed, setElapsed] = useState(0);
  const labelId = useId();

  useEffect(() => {
    if (!call.busy) return;
    const tick = () => setElapsed(Math.floor((Date.now() - call.startedAt) / 1000));
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [call.busy, call.startedAt]);

  return (
    <>
      <div class="status" role="status" aria-live="polite">
        {call.busy ? (
          <p class="progress">
            <progress aria-labelledby={labelId} {...(counted(call.progress?.message) ?? {})} />{' '}
            <span id={labelId}>{call.progress?.message ?? 'Working…'}</span>{' '}
            <span class="elapsed" aria-hidden="true">
              {elapsed} s
            </span>
          </p>
        ) : (
          done
        )}
      </div>
      {call.error && <ErrorMessage message={call.error.message} group={call.error.group} />}
    </>
  );
}

/** An error as the vault wrote it; a mistyped recovery-key group is named. */
export function ErrorMessage({ message, group, id }: { message: string; group?: number | undefined; id?: string }) {
  const named = group === undefined || message.toLowerCase().includes(`group ${group}`);
  return (
    <div class="error" role="alert" id={id}>
      <p>{message}</p>
      {!named && <p>Check group {group} of the key.</p>}
    </div>
  );
}
