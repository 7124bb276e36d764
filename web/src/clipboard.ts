// Copying a secret: the clipboard is overwritten 30 s later.

let clearTimer: number | undefined;

export const CLEAR_AFTER_SECONDS = 30;

export async function copyForAWhile(text: string): Promise<void> {
  await navigator.clipboard.writeText(text);
  window.clearTimeout(clearTimer);
  clearTimer = window.setTimeout(() => {
    navigator.clipboard.writeText('').catch(() => undefined);
  }, CLEAR_AFTER_SECONDS * 1000);
}
