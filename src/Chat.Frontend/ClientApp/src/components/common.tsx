import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { colorFor, initials } from '../format';
import type { Presence } from '../types';
import { useEscape } from '../hooks';

const ICONS: Record<string, string> = {
  send: 'M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z',
  plus: 'M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z',
  group: 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zm7 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2 19c0-3 3.1-5.5 7-5.5s7 2.5 7 5.5v1H2zm15.5 1v-1c0-1.7-.7-3.2-1.9-4.3 3.2.1 6.4 1.7 6.4 4.3v1z',
  edit: 'M4 17.3V20h2.7l8-8-2.7-2.7zm15.7-9.6a1 1 0 0 0 0-1.4l-2-2a1 1 0 0 0-1.4 0l-1.6 1.6 3.4 3.4z',
  trash: 'M7 21a2 2 0 0 1-2-2V7h14v12a2 2 0 0 1-2 2zM9 4V3h6v1h5v2H4V4z',
  reply: 'M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z',
  smile: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm-3.5 6a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm7 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zM12 17.5c-2.3 0-4.3-1.4-5.1-3.5h10.2c-.8 2.1-2.8 3.5-5.1 3.5z',
  star: 'm12 17.3 6.2 3.7-1.6-7 5.4-4.7-7.2-.6L12 2 9.2 8.7 2 9.3l5.4 4.7-1.6 7z',
  starOutline: 'm22 9.2-7.2-.6L12 2 9.2 8.6 2 9.2l5.5 4.7L5.8 21 12 17.3l6.2 3.7-1.6-7.1zm-10 6.2-3.8 2.3 1-4.3-3.3-2.9 4.4-.4L12 6.1l1.7 4 4.4.4-3.3 2.9 1 4.3z',
  bellOff: 'M20 18.7 5.3 4 4 5.3l2.9 2.9A6 6 0 0 0 6 11v5l-2 2v1h13.7l1 1zM12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-7.3V11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7c-.5.1-1 .3-1.4.5z',
  bell: 'M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6v-5c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7C7.6 5.4 6 7.9 6 11v5l-2 2v1h16v-1z',
  settings: 'M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7 7 0 0 0-1.7-1l-.4-2.6h-4l-.4 2.6a7 7 0 0 0-1.7 1l-2.5-1-2 3.5L4.6 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7 7 0 0 0 1.7 1l.4 2.6h4l.4-2.6a7 7 0 0 0 1.7-1l2.5 1 2-3.5zM12 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z',
  back: 'M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z',
  close: 'M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4l5.6 5.6L5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6z',
  attach: 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z',
  file: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zm-1 7V3.5L18.5 9z',
  download: 'M5 20h14v-2H5zM19 9h-4V3H9v6H5l7 7z',
  search: 'M15.5 14h-.8l-.3-.3A6.5 6.5 0 1 0 14 15.5l.3.3v.8l5 5 1.5-1.5zm-6 0a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9z',
  logout: 'M10 17v-3H3v-4h7V7l5 5zm3-15h6a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2h-6v-2h6V4h-6z',
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z',
  check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
  checks: 'M18 7l-1.4-1.4-6.3 6.3 1.4 1.4zm4.2-1.4L11.7 16.2 7.5 12l-1.4 1.4 5.6 5.6 12-12zM.4 13.4 6 19l1.4-1.4L1.8 12z',
  warning: 'M1 21h22L12 2zm12-3h-2v-2h2zm0-4h-2v-4h2z',
  more: 'M12 8a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 2a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm0 6a2 2 0 1 0 0 4 2 2 0 0 0 0-4z',
};

export function Icon({ name, size = 20, title }: { name: keyof typeof ICONS | string; size?: number; title?: string }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden={title ? undefined : 'true'} role={title ? 'img' : undefined}>
      {title && <title>{title}</title>}
      <path d={ICONS[name] ?? ''} fill="currentColor" />
    </svg>
  );
}

export function PresenceDot({ presence, label }: { presence: Presence; label?: string }) {
  const text = presence === 'online' ? 'Online' : presence === 'away' ? 'Away' : 'Offline';
  return <span class={`presence presence-${presence}`} title={label ? `${label} is ${text.toLowerCase()}` : text} aria-label={text} role="img" />;
}

export function Avatar({
  id,
  name,
  url,
  size = 36,
  presence,
  group = false,
}: {
  id: string;
  name: string;
  url?: string | null;
  size?: number;
  presence?: Presence;
  group?: boolean;
}) {
  const safeUrl = url && /^(https?:|\/)/i.test(url) ? url : null;
  return (
    <span class={`avatar${group ? ' avatar-group' : ''}`} style={{ width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.38)}px`, '--avatar-bg': colorFor(id) }} aria-hidden="true">
      {safeUrl ? <img src={safeUrl} alt="" referrerpolicy="no-referrer" /> : group ? <Icon name="group" size={Math.round(size * 0.55)} /> : initials(name)}
      {presence && <PresenceDot presence={presence} label={name} />}
    </span>
  );
}

export function Modal({ title, onClose, children, wide = false, labelId }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean; labelId?: string }) {
  const panel = useRef<HTMLDivElement>(null);
  useEscape(onClose);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = panel.current?.querySelector<HTMLElement>('input, select, textarea, button:not(.modal-close)');
    first?.focus();
    return () => previous?.focus?.();
  }, []);
  const id = labelId ?? `modal-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div class="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div class={`modal${wide ? ' modal-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={id} ref={panel}>
        <header class="modal-header">
          <h2 id={id}>{title}</h2>
          <button type="button" class="icon-button modal-close" aria-label="Close" onClick={onClose}>
            <Icon name="close" />
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span class="spinner" role="status" aria-label={label} />;
}
