// A shared "now" that ticks every 30 seconds, so relative dates stay current.

let now = $state(new Date());
let timer: ReturnType<typeof setInterval> | undefined;

export function currentTime(): Date {
  if (timer === undefined && typeof window !== 'undefined') {
    timer = setInterval(() => (now = new Date()), 30_000);
  }
  return now;
}
