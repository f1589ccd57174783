import { useState } from 'preact/hooks';
import { relativeTime } from '../format';
import { useTicker } from '../hooks';
import { meId, navigate, notify, otherParticipant, presenceOf, signOut, sortedInbox, state } from '../store';
import type { InboxEntry } from '../types';
import { Avatar, Icon, Spinner } from './common';

function previewText(entry: InboxEntry): string {
  const m = entry.lastMessage;
  if (!m) return entry.type === 'group' ? 'No messages yet' : 'Say hello 👋';
  if (m.type === 'system') return m.text ?? '';
  const who = m.senderId === meId() ? 'You' : entry.type === 'group' ? (m.senderName ?? '').split(' ')[0] : '';
  const body = m.deleted
    ? 'Message deleted'
    : m.text
      ? m.text
      : m.attachmentCount > 0
        ? `📎 ${m.attachmentCount === 1 ? 'Attachment' : `${m.attachmentCount} attachments`}`
        : '';
  return who ? `${who}: ${body}` : body;
}

function InboxItem({ entry, active }: { entry: InboxEntry; active: boolean }) {
  const other = entry.type === 'direct' ? otherParticipant(entry) : undefined;
  const unread = entry.unreadCount > 0;
  const label = [
    entry.displayName,
    entry.type === 'group' ? `group of ${entry.participantCount}` : `direct message${other ? `, ${presenceOf(other.userId, other.presence)}` : ''}`,
    unread ? `${entry.unreadCount} unread${entry.isMuted ? ' (muted)' : ''}` : null,
    entry.isStarred ? 'starred' : null,
  ]
    .filter(Boolean)
    .join(', ');
  return (
    <li>
      <a
        href={`#/c/${entry.conversationId}`}
        class={`inbox-item${active ? ' active' : ''}${unread ? ' unread' : ''}${entry.isMuted ? ' muted' : ''}`}
        aria-label={label}
        aria-current={active ? 'page' : undefined}
        data-conversation-id={entry.conversationId}
        onClick={(e) => {
          e.preventDefault();
          navigate(entry.conversationId);
        }}
      >
        {entry.type === 'group' ? (
          <Avatar id={entry.conversationId} name={entry.displayName} group size={42} />
        ) : (
          <Avatar id={other?.userId ?? entry.conversationId} name={entry.displayName} url={other?.avatarUrl} size={42} presence={other ? presenceOf(other.userId, other.presence) : undefined} />
        )}
        <span class="inbox-text">
          <span class="inbox-top">
            <span class="inbox-name">{entry.displayName}</span>
            {entry.isStarred && (
              <span class="star" title="Starred">
                <Icon name="star" size={14} />
              </span>
            )}
            {entry.isMuted && (
              <span class="muted-icon" title="Muted">
                <Icon name="bellOff" size={14} />
              </span>
            )}
            <time class="inbox-time" dateTime={entry.lastMessage?.createdAt ?? entry.lastActivityAt} title={new Date(entry.lastMessage?.createdAt ?? entry.lastActivityAt).toLocaleString()}>
              {relativeTime(entry.lastMessage?.createdAt ?? entry.lastActivityAt)}
            </time>
          </span>
          <span class="inbox-bottom">
            <span class={`inbox-preview${entry.lastMessage?.deleted ? ' deleted' : ''}`}>{previewText(entry)}</span>
            {unread && (
              <span class={`badge${entry.isMuted ? ' badge-muted' : ''}`} data-testid="unread-badge" aria-hidden="true">
                {entry.unreadCount > 99 ? '99+' : entry.unreadCount}
              </span>
            )}
          </span>
        </span>
      </a>
    </li>
  );
}

export function Sidebar() {
  useTicker(30_000);
  const [menu, setMenu] = useState(false);
  const me = state.me!;
  const filter = state.filter.trim().toLowerCase();
  const entries = sortedInbox().filter((e) => !filter || e.displayName.toLowerCase().includes(filter));
  const starred = entries.filter((e) => e.isStarred);
  const rest = entries.filter((e) => !e.isStarred);
  let unreadTotal = 0;
  for (const e of state.inbox.values()) if (!e.isMuted) unreadTotal += e.unreadCount;

  return (
    <aside class="sidebar" aria-label="Conversations">
      <header class="sidebar-header">
        <button type="button" class="me-button" aria-label={`Account menu for ${me.displayName}`} aria-expanded={menu} onClick={() => setMenu(!menu)}>
          <Avatar id={me.id} name={me.displayName} url={me.avatarUrl} size={34} presence={state.connection === 'connected' ? 'online' : 'offline'} />
          <span class="me-text">
            <span class="me-name">{me.displayName}</span>
            <span class="me-org">{me.organizations[0]?.name ?? `@${me.username}`}</span>
          </span>
        </button>
        <div class="sidebar-actions">
          <button
            type="button"
            class="icon-button"
            aria-label="New direct message"
            title="New direct message"
            onClick={() => {
              state.dialog = 'direct';
              notify();
            }}
          >
            <Icon name="edit" />
          </button>
          <button
            type="button"
            class="icon-button"
            aria-label="New group"
            title="New group"
            onClick={() => {
              state.dialog = 'group';
              notify();
            }}
          >
            <Icon name="group" />
          </button>
        </div>
        {menu && (
          <div class="menu" role="menu" onMouseLeave={() => setMenu(false)}>
            <div class="menu-caption">
              Signed in as <strong>@{me.username}</strong>
            </div>
            <button
              type="button"
              role="menuitem"
              onClick={() => {
                setMenu(false);
                state.dialog = 'profile';
                notify();
              }}
            >
              <Icon name="settings" size={16} /> Profile
            </button>
            <button type="button" role="menuitem" onClick={() => void signOut()}>
              <Icon name="logout" size={16} /> Sign out
            </button>
          </div>
        )}
      </header>
      <div class="sidebar-search">
        <Icon name="search" size={16} />
        <input
          type="search"
          placeholder="Find a conversation"
          aria-label="Find a conversation"
          value={state.filter}
          onInput={(e) => {
            state.filter = e.currentTarget.value;
            notify();
          }}
        />
      </div>
      <nav class="inbox" aria-label={`Inbox${unreadTotal ? `, ${unreadTotal} unread` : ''}`}>
        {!state.inboxLoaded && (
          <div class="inbox-empty">
            <Spinner label="Loading conversations" />
          </div>
        )}
        {state.inboxLoaded && entries.length === 0 && (
          <div class="inbox-empty">
            {filter ? (
              <p>No conversation matches “{state.filter}”.</p>
            ) : (
              <>
                <p>No conversations yet.</p>
                <button
                  type="button"
                  class="button primary"
                  onClick={() => {
                    state.dialog = 'direct';
                    notify();
                  }}
                >
                  Start a conversation
                </button>
              </>
            )}
          </div>
        )}
        {starred.length > 0 && (
          <>
            <h3 class="inbox-section">Starred</h3>
            <ul class="inbox-list" data-testid="inbox-starred">
              {starred.map((e) => (
                <InboxItem key={e.conversationId} entry={e} active={e.conversationId === state.activeId} />
              ))}
            </ul>
          </>
        )}
        {rest.length > 0 && (
          <>
            {starred.length > 0 && <h3 class="inbox-section">Conversations</h3>}
            <ul class="inbox-list" data-testid="inbox-list">
              {rest.map((e) => (
                <InboxItem key={e.conversationId} entry={e} active={e.conversationId === state.activeId} />
              ))}
            </ul>
          </>
        )}
      </nav>
    </aside>
  );
}
