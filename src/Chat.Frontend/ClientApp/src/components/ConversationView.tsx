import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { agoPhrase, dayKey, dayLabel, fileSize } from '../format';
import { useTicker } from '../hooks';
import {
  conversationState,
  countdownSeconds,
  deleteMessage,
  discardPending,
  editMessage,
  lastOwnMessage,
  loadOlder,
  meId,
  nameOf,
  navigate,
  notify,
  otherParticipant,
  presenceOf,
  retrySend,
  sendMessage,
  setMuted,
  setStarred,
  startUpload,
  state,
  typing,
  type ConversationState,
  type PendingMessage,
  type Upload,
} from '../store';
import type { InboxEntry, Message } from '../types';
import { Avatar, Icon, Modal, Spinner } from './common';
import { MessageItem, RichText } from './MessageItem';

const MAX_LENGTH = 4000;
const GROUP_GAP_MS = 5 * 60_000;

function Header({ entry, conv }: { entry: InboxEntry; conv: ConversationState }) {
  useTicker(30_000);
  const other = entry.type === 'direct' ? otherParticipant(entry) : undefined;
  let subtitle = '';
  if (other) {
    const presence = presenceOf(other.userId, other.presence);
    subtitle = presence === 'online' ? 'Online' : presence === 'away' ? 'Away' : 'Offline';
    const lastSeen = presence === 'offline' ? state.lastSeen.get(other.userId) : undefined;
    if (lastSeen) subtitle = `Last seen ${agoPhrase(lastSeen)}`;
  } else {
    const names = (conv.details?.participants ?? entry.participants).map((p) => (p.userId === meId() ? 'You' : p.displayName.split(' ')[0]));
    subtitle = `${entry.participantCount} members · ${names.slice(0, 4).join(', ')}${names.length > 4 ? '…' : ''}`;
  }
  return (
    <header class="conversation-header">
      <button type="button" class="icon-button back-button" aria-label="Back to conversations" onClick={() => navigate(null)}>
        <Icon name="back" />
      </button>
      {entry.type === 'group' ? (
        <Avatar id={entry.conversationId} name={entry.displayName} group size={38} />
      ) : (
        <Avatar id={other?.userId ?? entry.conversationId} name={entry.displayName} url={other?.avatarUrl} size={38} presence={other ? presenceOf(other.userId, other.presence) : undefined} />
      )}
      <div class="conversation-title">
        <h1>{entry.displayName}</h1>
        <p class="muted" data-testid="conversation-subtitle">
          {subtitle}
        </p>
      </div>
      <div class="header-actions">
        <button
          type="button"
          class={`icon-button${entry.isStarred ? ' on' : ''}`}
          aria-label={entry.isStarred ? 'Unstar conversation' : 'Star conversation'}
          aria-pressed={entry.isStarred}
          title={entry.isStarred ? 'Unstar' : 'Star'}
          onClick={() => void setStarred(entry.conversationId, !entry.isStarred)}
        >
          <Icon name={entry.isStarred ? 'star' : 'starOutline'} />
        </button>
        <button
          type="button"
          class={`icon-button${entry.isMuted ? ' on' : ''}`}
          aria-label={entry.isMuted ? 'Unmute conversation' : 'Mute conversation'}
          aria-pressed={entry.isMuted}
          title={entry.isMuted ? 'Unmute' : 'Mute'}
          onClick={() => void setMuted(entry.conversationId, !entry.isMuted)}
        >
          <Icon name={entry.isMuted ? 'bellOff' : 'bell'} />
        </button>
        {entry.type === 'group' && (
          <button
            type="button"
            class="icon-button"
            aria-label="Group settings"
            title="Group settings"
            onClick={() => {
              state.dialog = 'settings';
              notify();
            }}
          >
            <Icon name="settings" />
          </button>
        )}
      </div>
    </header>
  );
}

function typingText(conv: ConversationState): string {
  const now = Date.now();
  const names = [...conv.typing.values()].filter((t) => t.until > now).map((t) => t.displayName.split(' ')[0]);
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

function receiptText(conv: ConversationState, entry: InboxEntry): string | undefined {
  const r = conv.receipts;
  if (!r) return undefined;
  if (entry.type === 'direct') return r.status === 'read' ? 'Seen' : r.status === 'delivered' ? 'Delivered' : 'Sent';
  return `Read by ${r.readBy.length} of ${r.recipientCount}`;
}

/** Who read it, for the receipt's tooltip. */
function receiptDetail(conv: ConversationState): string | undefined {
  const r = conv.receipts;
  if (!r || r.readBy.length === 0) return undefined;
  return `Read by ${r.readBy.map((x) => nameOf(x.userId, conv.id)).join(', ')}`;
}

function PendingItem({ p, conversationId }: { p: PendingMessage; conversationId: string }) {
  return (
    <div class={`message mine pending${p.status === 'failed' ? ' failed' : ''}`} role="listitem" data-pending={p.clientMessageId}>
      <div class="message-gutter">
        <Avatar id={meId()} name={state.me?.displayName ?? ''} url={state.me?.avatarUrl} size={36} />
      </div>
      <div class="message-main">
        <div class="message-header">
          <span class="sender">You</span>
          <span class="muted">{p.status === 'sending' ? 'Sending…' : 'Not sent'}</span>
        </div>
        {p.content && (
          <div class="message-content">
            <RichText text={p.content} />
          </div>
        )}
        {p.attachments.length > 0 && <div class="muted small">📎 {p.attachments.map((a) => a.name).join(', ')}</div>}
        {p.status === 'failed' && (
          <div class="send-error" role="alert">
            <Icon name="warning" size={16} /> <span>{p.error}</span>
            <button type="button" class="link-button" onClick={() => void retrySend(conversationId, p.clientMessageId)}>
              Retry
            </button>
            <button type="button" class="link-button" onClick={() => discardPending(conversationId, p.clientMessageId)}>
              Discard
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

function MessageList({
  conv,
  entry,
  onReply,
  onEdit,
  onDelete,
}: {
  conv: ConversationState;
  entry: InboxEntry;
  onReply: (m: Message) => void;
  onEdit: (m: Message) => void;
  onDelete: (m: Message) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const anchor = useRef<{ firstSeq: number; fromBottom: number } | null>(null);
  const stick = useRef(true);
  const [showJump, setShowJump] = useState(false);
  const [highlight, setHighlight] = useState<string | null>(null);
  const lastScrollToEnd = useRef(-1);
  const firstSeq = conv.messages[0]?.seq ?? 0;
  const count = conv.messages.length + conv.pending.length;
  const canModerate = conv.details?.me.role === 'owner' || conv.details?.me.role === 'admin';

  // Keeps the view in place when older messages are added above, and follows new ones at the bottom.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (conv.scrollToEnd !== lastScrollToEnd.current) {
      lastScrollToEnd.current = conv.scrollToEnd;
      el.scrollTop = el.scrollHeight;
      stick.current = true;
      setShowJump(false);
    } else if (anchor.current && anchor.current.firstSeq !== firstSeq) {
      el.scrollTop = el.scrollHeight - anchor.current.fromBottom;
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    } else {
      setShowJump(true);
    }
    anchor.current = { firstSeq, fromBottom: el.scrollHeight - el.scrollTop };
  }, [firstSeq, count, conv.scrollToEnd, conv.messages]);

  // Images load after layout: keep the bottom in view when the user is there.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    for (const child of Array.from(el.children)) observer.observe(child);
    return () => observer.disconnect();
  });

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
    stick.current = fromBottom < 80;
    if (stick.current) setShowJump(false);
    anchor.current = { firstSeq, fromBottom: el.scrollHeight - el.scrollTop };
    if (el.scrollTop < 300 && conv.hasMore && !conv.loadingOlder) void loadOlder(conv.id);
  }

  // A short history may not fill the view: keep loading while there is no scrollbar.
  useEffect(() => {
    const el = scroller.current;
    if (el && conv.loaded && conv.hasMore && !conv.loadingOlder && el.scrollHeight <= el.clientHeight + 300) void loadOlder(conv.id);
  }, [conv.loaded, conv.hasMore, conv.loadingOlder, firstSeq]);

  function jump(id: string) {
    const target = document.getElementById(`m-${id}`);
    if (target) {
      target.scrollIntoView({ block: 'center', behavior: 'smooth' });
      setHighlight(id);
      setTimeout(() => setHighlight(null), 1600);
    }
  }

  const byId = new Map(conv.messages.map((m) => [m.id, m]));
  const mine = lastOwnMessage(conv);
  const receipt = receiptText(conv, entry);
  let previous: Message | undefined;
  return (
    <div class="message-scroller" ref={scroller} onScroll={onScroll}>
      <div class="message-list" role="list" aria-label={`Messages in ${entry.displayName}`} aria-live="polite" aria-relevant="additions">
        {conv.hasMore ? (
          <div class="history-start">{conv.loadingOlder ? <Spinner label="Loading older messages" /> : <span class="muted small">Scroll up for older messages</span>}</div>
        ) : (
          conv.loaded && (
            <div class="history-start">
              <p class="muted small">This is the beginning of {entry.type === 'group' ? `“${entry.displayName}”` : `your conversation with ${entry.displayName}`}.</p>
            </div>
          )
        )}
        {conv.messages.map((m) => {
          const newDay = !previous || dayKey(previous.createdAt) !== dayKey(m.createdAt);
          const compact =
            !newDay &&
            !!previous &&
            previous.type === 'text' &&
            m.type === 'text' &&
            previous.senderId === m.senderId &&
            !m.replyTo &&
            new Date(m.createdAt).getTime() - new Date(previous.createdAt).getTime() < GROUP_GAP_MS;
          previous = m;
          return (
            <Fragment key={m.id}>
              {newDay && (
                <div class="day-separator" role="separator" aria-label={dayLabel(m.createdAt)}>
                  <span>{dayLabel(m.createdAt)}</span>
                </div>
              )}
              <MessageItem
                message={m}
                conversationId={conv.id}
                compact={compact}
                canModerate={canModerate}
                target={m.replyTo ? byId.get(m.replyTo.id) : undefined}
                highlighted={highlight === m.id}
                onReply={onReply}
                onEdit={onEdit}
                onDelete={onDelete}
                onJump={jump}
                receipt={mine && mine.id === m.id && conv.receipts?.messageId === m.id ? receipt : undefined}
                receiptDetail={mine && mine.id === m.id ? receiptDetail(conv) : undefined}
              />
            </Fragment>
          );
        })}
        {conv.pending.map((p) => (
          <PendingItem key={p.clientMessageId} p={p} conversationId={conv.id} />
        ))}
      </div>
      {showJump && (
        <button
          type="button"
          class="jump-latest"
          onClick={() => {
            conv.scrollToEnd++;
            notify();
          }}
        >
          New messages ↓
        </button>
      )}
    </div>
  );
}

function Composer({
  conv,
  entry,
  replyTo,
  editing,
  onCancel,
  onEditLast,
}: {
  conv: ConversationState;
  entry: InboxEntry;
  replyTo: Message | null;
  editing: Message | null;
  onCancel: () => void;
  onEditLast: () => void;
}) {
  const [text, setText] = useState('');
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [, rerender] = useState(0);
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const drafts = useRef(new Map<string, string>());
  useTicker(state.rateLimit ? 250 : 60_000);

  // A draft per conversation; editing puts the message's text in the box.
  useEffect(() => {
    setText(drafts.current.get(conv.id) ?? '');
    setUploads([]);
    area.current?.focus();
  }, [conv.id]);
  useEffect(() => {
    if (editing) {
      setText(editing.content ?? '');
      requestAnimationFrame(() => {
        const el = area.current;
        if (el) {
          el.focus();
          el.setSelectionRange(el.value.length, el.value.length);
        }
      });
    }
  }, [editing?.id]);
  useEffect(() => {
    if (replyTo) area.current?.focus();
  }, [replyTo?.id]);
  useLayoutEffect(() => {
    const el = area.current;
    if (el) {
      el.style.height = 'auto';
      el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
    }
  }, [text]);

  const seconds = countdownSeconds();
  const uploading = uploads.some((u) => !u.info && !u.error);
  const ready = uploads.filter((u) => u.info).map((u) => u.info!);
  const tooLong = text.length > MAX_LENGTH;
  const canSend = !tooLong && !uploading && seconds === 0 && (text.trim().length > 0 || (!editing && ready.length > 0));

  async function submit() {
    if (!canSend) return;
    const content = text;
    if (editing) {
      if (content.trim() === (editing.content ?? '').trim()) {
        onCancel();
        setText(drafts.current.get(conv.id) ?? '');
        return;
      }
      if (await editMessage(conv.id, editing.id, content)) {
        onCancel();
        setText(drafts.current.get(conv.id) ?? '');
      }
      return;
    }
    setText('');
    drafts.current.delete(conv.id);
    setUploads([]);
    const replyId = replyTo?.id;
    onCancel();
    await sendMessage(conv.id, content, ready, replyId);
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void submit();
    } else if (e.key === 'Escape') {
      if (editing || replyTo) {
        e.preventDefault();
        e.stopPropagation();
        if (editing) setText(drafts.current.get(conv.id) ?? '');
        onCancel();
      }
    } else if (e.key === 'ArrowUp' && !editing && text === '' && uploads.length === 0) {
      e.preventDefault();
      onEditLast();
    }
  }

  function addFiles(files: FileList | null) {
    if (!files) return;
    const added: Upload[] = [];
    for (const file of Array.from(files).slice(0, Math.max(0, 5 - uploads.length))) {
      if (file.size > 10 * 1024 * 1024) {
        added.push({ key: Math.random(), file, progress: 0, error: `${file.name} is larger than 10 MB.`, abort: () => {} });
        continue;
      }
      added.push(startUpload(file, () => rerender((x) => x + 1)));
    }
    if (files.length + uploads.length > 5) added.push({ key: Math.random(), file: files[0], progress: 0, error: 'At most 5 files per message.', abort: () => {} });
    setUploads([...uploads, ...added]);
    if (fileInput.current) fileInput.current.value = '';
  }

  const removed = !state.inbox.has(conv.id);
  return (
    <div class="composer-wrap">
      {seconds > 0 && (
        <div class="notice notice-warning" role="alert" data-testid="rate-limit">
          <Icon name="warning" size={16} /> You are sending messages too quickly. You can send again in <strong>{seconds}</strong> second{seconds === 1 ? '' : 's'}.
        </div>
      )}
      {removed && (
        <div class="notice notice-error" role="alert">
          You are no longer a member of this conversation.
        </div>
      )}
      {(replyTo || editing) && (
        <div class="composer-context">
          <Icon name={editing ? 'edit' : 'reply'} size={16} />
          <div class="context-text">
            <strong>{editing ? 'Editing message' : `Replying to ${replyTo!.senderId === meId() ? 'yourself' : (replyTo!.sender?.displayName ?? 'message')}`}</strong>
            <span class="muted">{editing ? 'Enter to save · Esc to cancel' : (replyTo!.content ?? 'Attachment').slice(0, 120)}</span>
          </div>
          <button
            type="button"
            class="icon-button"
            aria-label={editing ? 'Cancel editing' : 'Cancel reply'}
            onClick={() => {
              if (editing) setText(drafts.current.get(conv.id) ?? '');
              onCancel();
            }}
          >
            <Icon name="close" size={16} />
          </button>
        </div>
      )}
      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Attachments">
          {uploads.map((u) => (
            <li key={u.key} class={`upload${u.error ? ' upload-error' : ''}`}>
              <Icon name="file" size={16} />
              <span class="upload-name">{u.file.name}</span>
              <span class="muted small">{u.error ?? (u.info ? fileSize(u.info.size) : `${Math.round(u.progress * 100)}%`)}</span>
              {!u.info && !u.error && (
                <progress max={1} value={u.progress} aria-label={`Uploading ${u.file.name}`}>
                  {Math.round(u.progress * 100)}%
                </progress>
              )}
              <button
                type="button"
                class="icon-button"
                aria-label={`Remove ${u.file.name}`}
                onClick={() => {
                  u.abort();
                  setUploads(uploads.filter((x) => x !== u));
                }}
              >
                <Icon name="close" size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <input ref={fileInput} type="file" multiple hidden accept="image/jpeg,image/png,image/gif,image/webp,.pdf,.doc,.docx,.xls,.xlsx" onChange={(e) => addFiles(e.currentTarget.files)} aria-label="Choose files to attach" />
        <button type="button" class="icon-button" aria-label="Attach files" title="Attach files" disabled={!!editing || removed} onClick={() => fileInput.current?.click()}>
          <Icon name="attach" />
        </button>
        <textarea
          ref={area}
          rows={1}
          value={text}
          disabled={removed}
          placeholder={editing ? 'Edit your message' : `Message ${entry.type === 'group' ? entry.displayName : entry.displayName.split(' ')[0]}`}
          aria-label={editing ? 'Edit message' : 'Message'}
          onInput={(e) => {
            const value = e.currentTarget.value;
            setText(value);
            if (!editing) {
              drafts.current.set(conv.id, value);
              if (value.trim()) typing(conv.id);
            }
          }}
          onKeyDown={onKeyDown}
          onPaste={(e) => {
            if (e.clipboardData?.files.length) {
              e.preventDefault();
              addFiles(e.clipboardData.files);
            }
          }}
        />
        <button type="submit" class="send-button" aria-label={editing ? 'Save edit' : 'Send message'} title={editing ? 'Save (Enter)' : 'Send (Enter)'} disabled={!canSend}>
          <Icon name={editing ? 'check' : 'send'} />
        </button>
      </form>
      <div class="composer-hint muted small">
        {tooLong ? (
          <span class="error-text">
            {text.length.toLocaleString()} / {MAX_LENGTH.toLocaleString()} characters — shorten your message
          </span>
        ) : (
          <span>
            <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line · <kbd>↑</kbd> to edit your last message
          </span>
        )}
      </div>
    </div>
  );
}

export function ConversationView({ id }: { id: string }) {
  const conv = conversationState(id);
  const entry = state.inbox.get(id);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<Message | null>(null);
  useTicker(1000); // typing indicators expire

  useEffect(() => {
    setReplyTo(null);
    setEditing(null);
  }, [id]);

  if (!entry) {
    return (
      <section class="conversation empty-state" aria-label="Conversation">
        {state.inboxLoaded && !conv.loading ? (
          <div>
            <p>This conversation is not available.</p>
            <button type="button" class="button" onClick={() => navigate(null)}>
              Back to conversations
            </button>
          </div>
        ) : (
          <Spinner />
        )}
      </section>
    );
  }
  const typingLine = typingText(conv);
  return (
    <section class="conversation" aria-label={`Conversation: ${entry.displayName}`}>
      <Header entry={entry} conv={conv} />
      {conv.error && !conv.loaded ? (
        <div class="empty-state">
          <p role="alert">{conv.error}</p>
          <button
            type="button"
            class="button"
            onClick={() => {
              conv.error = undefined;
              state.activeId = null;
              navigate(id);
            }}
          >
            Try again
          </button>
        </div>
      ) : !conv.loaded ? (
        <div class="empty-state">
          <Spinner label="Loading messages" />
        </div>
      ) : (
        <MessageList
          conv={conv}
          entry={entry}
          onReply={(m) => {
            setEditing(null);
            setReplyTo(m);
          }}
          onEdit={(m) => {
            setReplyTo(null);
            setEditing(m);
          }}
          onDelete={(m) => setConfirmDelete(m)}
        />
      )}
      <div class="typing-line" aria-live="polite" data-testid="typing">
        {typingLine && (
          <>
            <span class="typing-dots" aria-hidden="true">
              <i />
              <i />
              <i />
            </span>
            {typingLine}
          </>
        )}
      </div>
      <Composer
        conv={conv}
        entry={entry}
        replyTo={replyTo}
        editing={editing}
        onCancel={() => {
          setReplyTo(null);
          setEditing(null);
        }}
        onEditLast={() => {
          const mine = lastOwnMessage(conv);
          if (mine && mine.content) setEditing(mine);
        }}
      />
      {confirmDelete && (
        <Modal title="Delete message?" onClose={() => setConfirmDelete(null)}>
          <div class="modal-body">
            <p>Everyone in the conversation will see that a message was deleted. This cannot be undone.</p>
            {confirmDelete.content && (
              <blockquote class="quote">
                <RichText text={confirmDelete.content.slice(0, 300)} />
              </blockquote>
            )}
          </div>
          <footer class="modal-footer">
            <button type="button" class="button" onClick={() => setConfirmDelete(null)}>
              Cancel
            </button>
            <button
              type="button"
              class="button danger"
              onClick={() => {
                const m = confirmDelete;
                setConfirmDelete(null);
                void deleteMessage(id, m.id);
              }}
            >
              Delete
            </button>
          </footer>
        </Modal>
      )}
    </section>
  );
}
