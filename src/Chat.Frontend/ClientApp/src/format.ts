// Times, names and colours for display.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** "now", "5m", "3h", "Yesterday", "Mon", "Mar 4", "Mar 4, 2023" — for the inbox. */
export function relativeTime(iso: string, now = Date.now()): string {
  const t = new Date(iso);
  const diff = now - t.getTime();
  if (diff < MINUTE) return 'now';
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)}m`;
  const today = startOfDay(new Date(now));
  const day = startOfDay(t);
  if (day === today) return `${Math.floor(diff / HOUR)}h`;
  if (day === today - DAY) return 'Yesterday';
  if (today - day < 6 * DAY) return t.toLocaleDateString(undefined, { weekday: 'short' });
  if (t.getFullYear() === new Date(now).getFullYear()) return t.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return t.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
}

/** "Last seen 5 minutes ago" style phrases. */
export function agoPhrase(iso: string, now = Date.now()): string {
  const diff = now - new Date(iso).getTime();
  if (diff < MINUTE) return 'just now';
  if (diff < HOUR) {
    const m = Math.floor(diff / MINUTE);
    return `${m} minute${m === 1 ? '' : 's'} ago`;
  }
  if (diff < DAY) {
    const h = Math.floor(diff / HOUR);
    return `${h} hour${h === 1 ? '' : 's'} ago`;
  }
  const d = Math.floor(diff / DAY);
  return d < 30 ? `${d} day${d === 1 ? '' : 's'} ago` : new Date(iso).toLocaleDateString();
}

/** "14:05". */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

export function fullTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
}

/** The key of a message's local day, for separators. */
export function dayKey(iso: string): number {
  return startOfDay(new Date(iso));
}

/** "Today", "Yesterday", "Monday, March 4", "March 4, 2023". */
export function dayLabel(iso: string, now = Date.now()): string {
  const day = startOfDay(new Date(iso));
  const today = startOfDay(new Date(now));
  if (day === today) return 'Today';
  if (day === today - DAY) return 'Yesterday';
  const d = new Date(iso);
  if (d.getFullYear() === new Date(now).getFullYear()) {
    return d.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
  }
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = Array.from(parts[0])[0] ?? '';
  const last = parts.length > 1 ? (Array.from(parts[parts.length - 1])[0] ?? '') : '';
  return (first + last).toUpperCase();
}

const PALETTE = ['#4c6ef5', '#12b886', '#f76707', '#ae3ec9', '#1c7ed6', '#e8590c', '#2f9e44', '#d6336c', '#7048e8', '#0c8599'];

export function colorFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
