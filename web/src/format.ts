// Dates, day counts and recovery-key helpers shared by the pages.

const DAY = 86_400;

/** The page's clock in Unix seconds (the vault worker uses the same clock). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** YYYY-MM-DD (UTC), as the recovery kit and the command line write dates. */
export function isoDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

/** Whole days from now until `unixSeconds`, rounded up (negative once it is past). */
export function daysUntil(unixSeconds: number): number {
  return Math.ceil((unixSeconds - nowSeconds()) / DAY);
}

export function days(n: number): string {
  return n === 1 ? '1 day' : `${n} days`;
}

/** "in 5 days", "today" or "3 days ago". */
export function relativeDays(unixSeconds: number): string {
  const n = daysUntil(unixSeconds);
  if (n > 0) return `in ${days(n)}`;
  if (n === 0) return 'today';
  return `${days(-n)} ago`;
}

/** How many digits a typed recovery key has so far (spaces and dashes are ignored). */
export function digitCount(typed: string): number {
  return typed.replace(/\D/g, '').length;
}

/** A recovery key has 8 groups of 6 digits. */
export const KEY_DIGITS = 48;
