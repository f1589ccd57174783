// Application state, the actions that change it, and the real-time connection that keeps it live.
//
// One mutable state object; every change calls notify(), which re-renders subscribed components.
// Hub events carry the user's event position (epoch, seq): they are applied in order, duplicates are
// ignored, and after a reconnect the client calls Resume(epoch, seq) with the last position it
// processed — or reloads everything when the server says resync.
import { HubConnection, HubConnectionBuilder, HubConnectionState, LogLevel } from '@microsoft/signalr';
import { api, ApiError, currentToken, describeError, newClientMessageId, onUnauthorized, setToken, uploadAttachment } from './api';
import type {
  AttachmentInfo,
  ConversationDetails,
  HubEvent,
  InboxEntry,
  InboxParticipant,
  LastMessagePreview,
  Me,
  Message,
  MessageReceipts,
  Presence,
  ReadState,
  ResumeResult,
} from './types';

// ---------------------------------------------------------------------------------------------
// state

export interface PendingMessage {
  clientMessageId: string;
  content: string;
  replyToId?: string;
  attachments: AttachmentInfo[];
  createdAt: string;
  status: 'sending' | 'failed';
  error?: string;
}

export interface TypingUser {
  userId: string;
  displayName: string;
  until: number;
}

export interface ConversationState {
  id: string;
  messages: Message[];
  pending: PendingMessage[];
  loaded: boolean;
  loading: boolean;
  loadingOlder: boolean;
  hasMore: boolean;
  error?: string;
  details?: ConversationDetails;
  receipts?: MessageReceipts;
  typing: Map<string, TypingUser>;
  /** Bumped when the view should jump to the newest message (opened, reloaded, own message sent). */
  scrollToEnd: number;
}

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting';
export type DialogKind = null | 'direct' | 'group' | 'settings' | 'profile';

export interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info';
}

export interface RateLimitState {
  until: number;
}

export const state = {
  phase: 'loading' as 'loading' | 'auth' | 'ready',
  me: null as Me | null,
  inbox: new Map<string, InboxEntry>(),
  inboxLoaded: false,
  totalUnread: 0,
  presence: new Map<string, Presence>(),
  lastSeen: new Map<string, string>(),
  conversations: new Map<string, ConversationState>(),
  activeId: null as string | null,
  connection: 'connecting' as ConnectionStatus,
  /** Whether the connection was lost since the page loaded (the banner shows only then). */
  lostSince: null as number | null,
  reconnectAttempts: 0,
  nextRetryAt: null as number | null,
  dialog: null as DialogKind,
  toasts: [] as Toast[],
  rateLimit: null as RateLimitState | null,
  filter: '',
};

const listeners = new Set<() => void>();
let notifyQueued = false;

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notify(): void {
  if (notifyQueued) return;
  notifyQueued = true;
  queueMicrotask(() => {
    notifyQueued = false;
    for (const listener of [...listeners]) listener();
  });
}

let toastId = 0;
export function toast(text: string, kind: Toast['kind'] = 'error', ms = 6000): void {
  const id = ++toastId;
  state.toasts = [...state.toasts, { id, text, kind }];
  notify();
  setTimeout(() => dismissToast(id), ms);
}

export function dismissToast(id: number): void {
  state.toasts = state.toasts.filter((t) => t.id !== id);
  notify();
}

export function meId(): string {
  return state.me?.id ?? '';
}

export function sortedInbox(): InboxEntry[] {
  return [...state.inbox.values()].sort((a, b) => {
    const t = new Date(b.lastActivityAt).getTime() - new Date(a.lastActivityAt).getTime();
    return t !== 0 ? t : a.displayName.localeCompare(b.displayName);
  });
}

export function conversationState(id: string): ConversationState {
  let c = state.conversations.get(id);
  if (!c) {
    c = {
      id,
      messages: [],
      pending: [],
      loaded: false,
      loading: false,
      loadingOlder: false,
      hasMore: false,
      typing: new Map(),
      scrollToEnd: 0,
    };
    state.conversations.set(id, c);
  }
  return c;
}

/** The other participant of a DM. */
export function otherParticipant(entry: InboxEntry): InboxParticipant | undefined {
  return entry.participants.find((p) => p.userId !== meId());
}

export function presenceOf(userId: string, fallback: Presence = 'offline'): Presence {
  return state.presence.get(userId) ?? fallback;
}

/** A display name for a user id, from what this client knows. */
export function nameOf(userId: string, conversationId?: string): string {
  if (userId === meId()) return 'You';
  const conv = conversationId ? state.conversations.get(conversationId) : undefined;
  const p = conv?.details?.participants.find((x) => x.userId === userId);
  if (p) return p.displayName;
  const entry = conversationId ? state.inbox.get(conversationId) : undefined;
  const q = entry?.participants.find((x) => x.userId === userId);
  if (q) return q.displayName;
  for (const e of state.inbox.values()) {
    const r = e.participants.find((x) => x.userId === userId);
    if (r) return r.displayName;
  }
  for (const m of conv?.messages ?? []) {
    if (m.sender?.id === userId) return m.sender.displayName;
  }
  return 'Someone';
}

// ---------------------------------------------------------------------------------------------
// session

onUnauthorized(() => {
  if (state.phase === 'ready') {
    signedOut('Your session has ended. Please sign in again.');
  }
});

export async function boot(): Promise<void> {
  if (!currentToken()) {
    state.phase = 'auth';
    notify();
    return;
  }
  try {
    state.me = await api.me();
  } catch (error) {
    const e = ApiError.from(error);
    if (e.code === 'UNAUTHORIZED') {
      setToken(null);
      state.phase = 'auth';
      notify();
      return;
    }
    // The server is unreachable: try again shortly.
    state.phase = 'loading';
    notify();
    setTimeout(() => void boot(), 2000);
    return;
  }
  state.phase = 'ready';
  readRoute();
  notify();
  await realtime.start();
}

export async function signIn(username: string, password: string, register: boolean, displayName?: string): Promise<void> {
  const answer = register ? await api.register(username, password, displayName) : await api.login(username, password);
  setToken(answer.token);
  await boot();
}

export async function signOut(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // the token is dropped locally anyway
  }
  signedOut();
}

function signedOut(message?: string): void {
  setToken(null);
  void realtime.stop();
  state.phase = 'auth';
  state.me = null;
  state.inbox.clear();
  state.inboxLoaded = false;
  state.conversations.clear();
  state.presence.clear();
  state.activeId = null;
  state.dialog = null;
  state.lostSince = null;
  realtime.reset();
  if (location.hash) history.replaceState(null, '', location.pathname);
  notify();
  if (message) toast(message, 'info');
}

// ---------------------------------------------------------------------------------------------
// navigation (#/c/<id>)

export function readRoute(): void {
  const match = /^#\/c\/([0-9a-fA-F-]{36})$/.exec(location.hash);
  const id = match ? match[1].toLowerCase() : null;
  if (id !== state.activeId) {
    state.activeId = id;
    if (id) void openConversation(id);
    notify();
  }
}

window.addEventListener('hashchange', () => {
  if (state.phase === 'ready') readRoute();
});

export function navigate(id: string | null): void {
  const hash = id ? `#/c/${id}` : '';
  if (location.hash !== hash) {
    if (id) location.hash = hash;
    else history.pushState(null, '', location.pathname);
  }
  if (state.activeId !== id) {
    state.activeId = id;
    state.dialog = state.dialog === 'settings' ? null : state.dialog;
    if (id) void openConversation(id);
    notify();
  }
}

// ---------------------------------------------------------------------------------------------
// inbox and conversations

export async function loadInbox(): Promise<void> {
  const inbox = await api.inbox();
  state.inbox = new Map(inbox.conversations.map((c) => [c.conversationId, c]));
  state.totalUnread = inbox.totalUnread;
  state.inboxLoaded = true;
  for (const c of inbox.conversations) {
    for (const p of c.participants) state.presence.set(p.userId, p.presence);
  }
  updateTitle();
  notify();
}

function updateTitle(): void {
  let total = 0;
  for (const e of state.inbox.values()) if (!e.isMuted) total += e.unreadCount;
  document.title = total > 0 ? `(${total}) Chat` : 'Chat';
}

export async function openConversation(id: string): Promise<void> {
  const conv = conversationState(id);
  conv.scrollToEnd++;
  if (!conv.loaded && !conv.loading) {
    conv.loading = true;
    conv.error = undefined;
    notify();
    try {
      const [page, details] = await Promise.all([api.messages(id, { limit: 50 }), api.conversation(id)]);
      conv.messages = mergeMessages([], page.messages);
      conv.hasMore = page.hasMore;
      conv.details = details;
      conv.loaded = true;
      conv.scrollToEnd++;
    } catch (error) {
      conv.error = describeError(error);
    } finally {
      conv.loading = false;
      notify();
    }
  }
  void refreshReceipts(id);
  scheduleMarkRead();
}

export async function loadOlder(id: string): Promise<void> {
  const conv = conversationState(id);
  if (!conv.loaded || conv.loadingOlder || !conv.hasMore || conv.messages.length === 0) return;
  conv.loadingOlder = true;
  notify();
  try {
    const page = await api.messages(id, { before: conv.messages[0].seq, limit: 50 });
    conv.messages = mergeMessages(conv.messages, page.messages);
    conv.hasMore = page.hasMore;
  } catch (error) {
    toast(describeError(error));
  } finally {
    conv.loadingOlder = false;
    notify();
  }
}

export async function refreshDetails(id: string): Promise<void> {
  const conv = state.conversations.get(id);
  if (!conv) return;
  try {
    conv.details = await api.conversation(id);
    notify();
  } catch (error) {
    const e = ApiError.from(error);
    if (e.code === 'NOT_PARTICIPANT' || e.code === 'NOT_FOUND') removeConversation(id, 'removed');
  }
}

/** Merges messages by seq (ascending), newer copies winning. */
function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  const bySeq = new Map<number, Message>();
  for (const m of existing) bySeq.set(m.seq, m);
  for (const m of incoming) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function previewOf(m: Message): LastMessagePreview {
  return {
    messageId: m.id,
    seq: m.seq,
    senderId: m.senderId,
    senderName: m.sender?.displayName ?? null,
    type: m.type,
    text: m.deletedAt ? null : (m.content ?? '').slice(0, 200),
    createdAt: m.createdAt,
    attachmentCount: m.attachments?.length ?? 0,
    deleted: !!m.deletedAt,
  };
}

/** The newest own message of a conversation (the one receipts are shown for). */
export function lastOwnMessage(conv: ConversationState): Message | undefined {
  for (let i = conv.messages.length - 1; i >= 0; i--) {
    const m = conv.messages[i];
    if (m.senderId === meId() && !m.deletedAt && m.type !== 'system') return m;
  }
  return undefined;
}

const receiptTimers = new Map<string, number>();
export function refreshReceipts(id: string, delay = 0): void {
  const existing = receiptTimers.get(id);
  if (existing) clearTimeout(existing);
  receiptTimers.set(
    id,
    window.setTimeout(async () => {
      receiptTimers.delete(id);
      const conv = state.conversations.get(id);
      if (!conv?.loaded) return;
      const mine = lastOwnMessage(conv);
      if (!mine) {
        conv.receipts = undefined;
        notify();
        return;
      }
      try {
        conv.receipts = await api.receipts(id, mine.id);
        notify();
      } catch {
        // receipts are a nicety; the next event refreshes them
      }
    }, delay),
  );
}

function removeConversation(id: string, reason: string): void {
  const entry = state.inbox.get(id);
  const name = entry?.displayName ?? state.conversations.get(id)?.details?.name ?? 'the conversation';
  state.inbox.delete(id);
  state.conversations.delete(id);
  if (state.activeId === id) {
    navigate(null);
    state.dialog = null;
    const text =
      reason === 'deleted'
        ? `“${name}” was deleted.`
        : reason === 'left'
          ? `You left “${name}”.`
          : `You were removed from “${name}”.`;
    toast(text, 'info');
  }
  updateTitle();
  notify();
}

// ---------------------------------------------------------------------------------------------
// read positions

let markReadTimer: number | undefined;
const markReadInFlight = new Set<string>();

export function scheduleMarkRead(): void {
  if (markReadTimer) clearTimeout(markReadTimer);
  markReadTimer = window.setTimeout(() => {
    markReadTimer = undefined;
    void markActiveRead();
  }, 100);
}

function conversationVisible(): boolean {
  return document.visibilityState === 'visible';
}

async function markActiveRead(): Promise<void> {
  const id = state.activeId;
  if (!id || !conversationVisible()) return;
  const conv = state.conversations.get(id);
  const entry = state.inbox.get(id);
  if (!conv?.loaded || !entry || conv.messages.length === 0) return;
  const latest = conv.messages[conv.messages.length - 1].seq;
  if (latest <= entry.lastReadSeq && entry.unreadCount === 0) return;
  if (markReadInFlight.has(id)) {
    scheduleMarkRead();
    return;
  }
  markReadInFlight.add(id);
  try {
    const result = await realtime.invokeOr<ReadState>('MarkRead', [id, latest], () => api.markRead(id, latest));
    const e = state.inbox.get(id);
    if (e && result) {
      e.lastReadSeq = Math.max(e.lastReadSeq, result.lastReadSeq);
      e.unreadCount = result.unreadCount;
      updateTitle();
      notify();
    }
  } catch {
    // The connection dropped under the call: try again shortly (also after a reconnect).
    window.setTimeout(scheduleMarkRead, 3000);
  } finally {
    markReadInFlight.delete(id);
  }
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') scheduleMarkRead();
  realtime.visibilityChanged();
});
window.addEventListener('focus', () => scheduleMarkRead());

// ---------------------------------------------------------------------------------------------
// messages: send, edit, delete, react

export function countdownSeconds(): number {
  if (!state.rateLimit) return 0;
  return Math.max(0, Math.ceil((state.rateLimit.until - Date.now()) / 1000));
}

function rateLimited(error: ApiError): void {
  const seconds = Math.max(1, Math.ceil(error.retryAfter ?? 10));
  state.rateLimit = { until: Date.now() + seconds * 1000 };
  notify();
  const tick = window.setInterval(() => {
    if (countdownSeconds() <= 0) {
      state.rateLimit = null;
      clearInterval(tick);
    }
    notify();
  }, 250);
}

export async function sendMessage(id: string, content: string, attachments: AttachmentInfo[], replyToId?: string): Promise<void> {
  const pending: PendingMessage = {
    clientMessageId: newClientMessageId(),
    content,
    replyToId,
    attachments,
    createdAt: new Date().toISOString(),
    status: 'sending',
  };
  const conv = conversationState(id);
  conv.pending = [...conv.pending, pending];
  conv.scrollToEnd++;
  notify();
  await deliver(id, pending);
}

export async function retrySend(id: string, clientMessageId: string): Promise<void> {
  const conv = conversationState(id);
  const pending = conv.pending.find((p) => p.clientMessageId === clientMessageId);
  if (!pending) return;
  pending.status = 'sending';
  pending.error = undefined;
  notify();
  await deliver(id, pending);
}

export function discardPending(id: string, clientMessageId: string): void {
  const conv = conversationState(id);
  conv.pending = conv.pending.filter((p) => p.clientMessageId !== clientMessageId);
  notify();
}

async function deliver(id: string, pending: PendingMessage): Promise<void> {
  const body = {
    clientMessageId: pending.clientMessageId,
    content: pending.content,
    attachmentIds: pending.attachments.map((a) => a.id),
    replyToId: pending.replyToId ?? null,
  };
  try {
    const message = await realtime.invokeOr<Message>('SendMessage', [id, body], () =>
      api.send(id, { ...body, replyToId: pending.replyToId }),
    );
    applyMessage(message, 'messageCreated');
    refreshReceipts(id, 300);
    refreshReceipts(id, 2500);
  } catch (error) {
    const e = ApiError.from(error);
    const conv = conversationState(id);
    if (e.code === 'RATE_LIMITED') rateLimited(e);
    pending.status = 'failed';
    pending.error = describeError(e);
    conv.pending = [...conv.pending];
    notify();
    if (e.code === 'NOT_PARTICIPANT') void refreshDetails(id);
  }
}

export async function editMessage(id: string, messageId: string, content: string): Promise<boolean> {
  try {
    const message = await realtime.invokeOr<Message>('EditMessage', [id, messageId, content], () => api.edit(id, messageId, content));
    applyMessage(message, 'messageUpdated');
    return true;
  } catch (error) {
    toast(describeError(error));
    return false;
  }
}

export async function deleteMessage(id: string, messageId: string): Promise<void> {
  try {
    const message = await realtime.invokeOr<Message>('DeleteMessage', [id, messageId], () => api.remove(id, messageId));
    applyMessage(message, 'messageDeleted');
  } catch (error) {
    toast(describeError(error));
  }
}

export async function toggleReaction(id: string, message: Message, emoji: string): Promise<void> {
  const mine = message.reactions.find((r) => r.emoji === emoji)?.userIds.includes(meId());
  try {
    const updated = mine
      ? await realtime.invokeOr<Message>('RemoveReaction', [id, message.id, emoji], () => api.unreact(id, message.id, emoji))
      : await realtime.invokeOr<Message>('AddReaction', [id, message.id, emoji], () => api.react(id, message.id, emoji));
    applyMessage(updated, 'messageUpdated');
  } catch (error) {
    toast(describeError(error));
  }
}

let lastTypingSent = 0;
let lastTypingConversation = '';
export function typing(id: string): void {
  const now = Date.now();
  if (id === lastTypingConversation && now - lastTypingSent < 2000) return;
  lastTypingSent = now;
  lastTypingConversation = id;
  void realtime.invokeOr('Typing', [id], null).catch(() => {});
}

export interface Upload {
  key: number;
  file: File;
  progress: number;
  info?: AttachmentInfo;
  error?: string;
  abort: () => void;
}

let uploadKey = 0;
export function startUpload(file: File, onChange: () => void): Upload {
  const upload: Upload = { key: ++uploadKey, file, progress: 0, abort: () => {} };
  const { promise, abort } = uploadAttachment(file, (fraction) => {
    upload.progress = fraction;
    onChange();
  });
  upload.abort = abort;
  promise.then(
    (info) => {
      upload.info = info;
      onChange();
    },
    (error) => {
      upload.error = describeError(error);
      onChange();
    },
  );
  return upload;
}

// ---------------------------------------------------------------------------------------------
// conversation management

export async function setStarred(id: string, isStarred: boolean): Promise<void> {
  const entry = state.inbox.get(id);
  if (entry) entry.isStarred = isStarred;
  notify();
  try {
    await api.settings(id, { isStarred });
  } catch (error) {
    if (entry) entry.isStarred = !isStarred;
    toast(describeError(error));
  }
}

export async function setMuted(id: string, isMuted: boolean): Promise<void> {
  const entry = state.inbox.get(id);
  if (entry) entry.isMuted = isMuted;
  updateTitle();
  notify();
  try {
    await api.settings(id, { isMuted });
  } catch (error) {
    if (entry) entry.isMuted = !isMuted;
    toast(describeError(error));
  }
}

/** Puts a conversation the user just created or opened into the inbox and shows it. */
export function adoptConversation(details: ConversationDetails): void {
  const conv = conversationState(details.id);
  conv.details = details;
  if (!state.inbox.has(details.id)) {
    // The conversationCreated event brings the full summary; until then a placeholder.
    const others = details.participants.filter((p) => p.userId !== meId());
    state.inbox.set(details.id, {
      conversationId: details.id,
      type: details.type,
      organizationId: details.organizationId,
      name: details.name,
      displayName: details.type === 'group' ? (details.name ?? 'Group') : (others[0]?.displayName ?? 'Direct message'),
      participants: details.participants.map((p) => ({
        userId: p.userId,
        displayName: p.displayName,
        avatarUrl: p.avatarUrl,
        presence: presenceOf(p.userId),
      })),
      participantCount: details.participants.length,
      lastMessage: null,
      lastActivityAt: details.updatedAt ?? details.createdAt,
      lastSeq: details.lastSeq,
      lastReadSeq: details.me.lastReadSeq,
      unreadCount: details.me.unreadCount,
      isStarred: details.me.isStarred,
      isMuted: details.me.isMuted,
      role: details.me.role,
    });
  }
  navigate(details.id);
}

export async function leaveConversation(id: string): Promise<void> {
  try {
    await api.removeParticipant(id, meId());
    removeConversation(id, 'left');
  } catch (error) {
    toast(describeError(error));
  }
}

// ---------------------------------------------------------------------------------------------
// events

function entryFor(conversationId: string): InboxEntry | undefined {
  const entry = state.inbox.get(conversationId);
  if (!entry && state.inboxLoaded) scheduleInboxRefresh();
  return entry;
}

let inboxRefreshTimer: number | undefined;
function scheduleInboxRefresh(): void {
  if (inboxRefreshTimer) return;
  inboxRefreshTimer = window.setTimeout(async () => {
    inboxRefreshTimer = undefined;
    try {
      await loadInbox();
    } catch {
      // next event or reconnect tries again
    }
  }, 200);
}

/** A message arrived or changed (from an event or from the answer of our own command). */
function applyMessage(m: Message, kind: 'messageCreated' | 'messageUpdated' | 'messageDeleted'): void {
  const conv = state.conversations.get(m.conversationId);
  if (conv) {
    if (m.clientMessageId && m.senderId === meId()) {
      conv.pending = conv.pending.filter((p) => p.clientMessageId !== m.clientMessageId);
    }
    if (conv.loaded) {
      const index = conv.messages.findIndex((x) => x.id === m.id);
      if (index >= 0) {
        // An older copy (e.g. the answer of a command arriving after a later event) never wins.
        conv.messages = conv.messages.map((x) => (x.id === m.id ? newer(x, m) : x));
      } else if (kind === 'messageCreated' || conv.messages.length === 0 || m.seq > conv.messages[0].seq) {
        conv.messages = mergeMessages(conv.messages, [m]);
      }
      if (m.deletedAt) {
        conv.messages = conv.messages.map((x) =>
          x.replyTo?.id === m.id && !x.replyTo.deleted ? { ...x, replyTo: { ...x.replyTo, deleted: true, preview: null } } : x,
        );
      }
      if (kind === 'messageCreated' && m.senderId) conv.typing.delete(m.senderId);
    }
  }
  const entry = entryFor(m.conversationId);
  if (entry) {
    if (kind === 'messageCreated' && m.seq >= (entry.lastMessage?.seq ?? 0)) {
      entry.lastMessage = previewOf(m);
      if (new Date(m.createdAt) > new Date(entry.lastActivityAt)) entry.lastActivityAt = m.createdAt;
      entry.lastSeq = Math.max(entry.lastSeq, m.seq);
      if (m.senderId === meId()) {
        entry.lastReadSeq = Math.max(entry.lastReadSeq, m.seq);
        entry.unreadCount = 0;
      }
    } else if (entry.lastMessage?.messageId === m.id) {
      entry.lastMessage = previewOf(m);
    }
    if (m.type === 'system') void refreshDetails(m.conversationId);
  }
  if (kind === 'messageCreated' && m.conversationId === state.activeId) {
    scheduleMarkRead();
    if (m.senderId === meId()) conversationState(m.conversationId).scrollToEnd++;
  }
  updateTitle();
  notify();
}

function newer(a: Message, b: Message): Message {
  const stamp = (m: Message) => Math.max(Date.parse(m.editedAt ?? '') || 0, Date.parse(m.deletedAt ?? '') || 0);
  if (a.deletedAt && !b.deletedAt) return a;
  return stamp(b) >= stamp(a) ? b : a;
}

function applyEvent(e: HubEvent): void {
  const cid = e.conversationId ?? '';
  switch (e.type) {
    case 'messageCreated':
    case 'messageUpdated':
    case 'messageDeleted':
      applyMessage(e.message as Message, e.type);
      break;
    case 'conversationCreated':
    case 'conversationUpdated': {
      const entry = e.conversation as InboxEntry;
      state.inbox.set(entry.conversationId, entry);
      for (const p of entry.participants) state.presence.set(p.userId, p.presence);
      if (state.conversations.get(entry.conversationId)?.details) void refreshDetails(entry.conversationId);
      updateTitle();
      break;
    }
    case 'conversationRemoved':
      removeConversation(cid, String(e.reason ?? 'removed'));
      break;
    case 'readUpdated': {
      const userId = String(e.userId);
      const lastReadSeq = Number(e.lastReadSeq);
      if (userId === meId()) {
        const entry = state.inbox.get(cid);
        if (entry) entry.lastReadSeq = Math.max(entry.lastReadSeq, lastReadSeq);
      } else if (state.conversations.get(cid)?.loaded) {
        refreshReceipts(cid, 150);
      }
      break;
    }
    case 'unreadChanged': {
      const entry = state.inbox.get(cid);
      if (entry) entry.unreadCount = Number(e.unreadCount);
      state.totalUnread = Number(e.totalUnread);
      updateTitle();
      if (cid === state.activeId && Number(e.unreadCount) > 0) scheduleMarkRead();
      break;
    }
    case 'typing': {
      const userId = String(e.userId);
      if (userId === meId()) break;
      const conv = conversationState(cid);
      const expires = Number(e.expiresInMs) || 5000;
      conv.typing.set(userId, { userId, displayName: String(e.displayName ?? nameOf(userId, cid)), until: Date.now() + expires });
      setTimeout(() => {
        const t = conv.typing.get(userId);
        if (t && t.until <= Date.now() + 10) {
          conv.typing.delete(userId);
          notify();
        }
      }, expires + 20);
      break;
    }
    case 'presence': {
      const userId = String(e.userId);
      const status = String(e.status) as Presence;
      state.presence.set(userId, status);
      if (e.lastSeenAt) state.lastSeen.set(userId, String(e.lastSeenAt));
      for (const entry of state.inbox.values()) {
        const p = entry.participants.find((x) => x.userId === userId);
        if (p) p.presence = status;
      }
      break;
    }
    default:
      break;
  }
  notify();
}

/** Reloads everything after a resync (events were lost): inbox, open conversations, receipts. */
async function reloadAll(): Promise<void> {
  await loadInbox();
  for (const [id, conv] of state.conversations) {
    if (id !== state.activeId) {
      state.conversations.delete(id);
      continue;
    }
    try {
      const [page, details] = await Promise.all([api.messages(id, { limit: 50 }), api.conversation(id)]);
      conv.messages = mergeMessages([], page.messages);
      conv.hasMore = page.hasMore;
      conv.details = details;
      conv.loaded = true;
      conv.scrollToEnd++;
      refreshReceipts(id);
    } catch (error) {
      const e = ApiError.from(error);
      if (e.code === 'NOT_PARTICIPANT' || e.code === 'NOT_FOUND') removeConversation(id, 'removed');
    }
  }
  scheduleMarkRead();
  notify();
}

// ---------------------------------------------------------------------------------------------
// the real-time connection

const RETRY_DELAYS_MS = [0, 1000, 2000, 3000, 5000];
const EVENT_NAMES = [
  'messageCreated',
  'messageUpdated',
  'messageDeleted',
  'conversationCreated',
  'conversationUpdated',
  'conversationRemoved',
  'readUpdated',
  'unreadChanged',
  'typing',
  'presence',
];

class Realtime {
  private connection: HubConnection | null = null;
  private epoch = 0;
  private seq = 0;
  private positioned = false;
  private running = false;
  private connecting = false;
  private resuming = false;
  private buffered: HubEvent[] = [];
  private retryTimer: number | undefined;
  private awayTimer: number | undefined;
  private away = false;

  /** The last event position processed (for tests and diagnostics). */
  get position(): { epoch: number; seq: number } {
    return { epoch: this.epoch, seq: this.seq };
  }

  reset(): void {
    this.epoch = 0;
    this.seq = 0;
    this.positioned = false;
    this.buffered = [];
  }

  connected(): boolean {
    return this.connection?.state === HubConnectionState.Connected && !this.connecting;
  }

  async start(): Promise<void> {
    this.running = true;
    if (!this.connection) this.connection = this.build();
    await this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.connection;
    this.connection = null;
    if (c) await c.stop().catch(() => {});
  }

  private build(): HubConnection {
    const connection = new HubConnectionBuilder()
      .withUrl('/hubs/chat', { accessTokenFactory: () => currentToken() ?? '' })
      .configureLogging(LogLevel.None)
      .build();
    connection.serverTimeoutInMilliseconds = 20_000;
    connection.keepAliveIntervalInMilliseconds = 10_000;
    for (const name of EVENT_NAMES) connection.on(name, (e: HubEvent) => this.onEvent({ ...e, type: e.type ?? name }));
    connection.on('resync', (e: HubEvent) => void this.onResync(e));
    connection.on('reconnect', () => {
      // The frontend is stopping: go (back) through the reconnect path, which resumes.
      void connection.stop();
    });
    connection.onclose(() => {
      if (!this.running || this.connection !== connection) return;
      this.lost();
      this.scheduleRetry();
    });
    return connection;
  }

  private lost(): void {
    if (state.connection !== 'reconnecting') {
      state.connection = 'reconnecting';
      state.lostSince = Date.now();
      state.reconnectAttempts = 0;
      notify();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const delay = RETRY_DELAYS_MS[Math.min(state.reconnectAttempts, RETRY_DELAYS_MS.length - 1)];
    state.nextRetryAt = Date.now() + delay;
    notify();
    this.retryTimer = window.setTimeout(() => void this.connect(), delay);
  }

  /** "Retry now" in the banner, and the browser telling us the network is back. */
  retryNow(): void {
    if (!this.running || this.connecting || this.connected()) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    void this.connect();
  }

  private async connect(): Promise<void> {
    const connection = this.connection;
    if (!connection || this.connecting || !this.running) return;
    this.connecting = true;
    state.nextRetryAt = null;
    if (state.connection !== 'reconnecting') state.connection = 'connecting';
    notify();
    try {
      if (connection.state === HubConnectionState.Disconnected) await connection.start();
      await this.resume(connection);
      this.connecting = false;
      state.connection = 'connected';
      state.lostSince = null;
      state.reconnectAttempts = 0;
      notify();
      scheduleMarkRead();
      if (this.away) void connection.invoke('SetPresence', 'away').catch(() => {});
    } catch (error) {
      this.connecting = false;
      if (this.connection !== connection || !this.running) return;
      const e = ApiError.from(error);
      if (/401|Unauthorized/i.test(String((error as Error)?.message ?? '')) || e.code === 'UNAUTHORIZED') {
        // The token is no longer valid: check it (a 401 signs out).
        try {
          await api.me();
        } catch {
          return;
        }
      }
      if (!state.inboxLoaded) void loadInbox().catch(() => {});
      this.lost();
      state.reconnectAttempts++;
      if (connection.state !== HubConnectionState.Disconnected) await connection.stop().catch(() => {});
      this.scheduleRetry();
    }
  }

  /** Resume after (epoch, seq): apply the missed events in order, or reload on resync. */
  private async resume(connection: HubConnection): Promise<void> {
    this.resuming = true;
    try {
      const wasPositioned = this.positioned;
      const result = await connection.invoke<ResumeResult>('Resume', this.epoch, this.seq);
      if (!wasPositioned || result.resync) {
        this.epoch = result.epoch;
        this.seq = result.seq;
        this.positioned = true;
        // Events pushed while the reload runs are applied after it (duplicates are skipped by position).
        await reloadAll();
      } else {
        for (const e of result.events ?? []) this.applyPositioned(e);
        if (result.epoch !== this.epoch || result.seq > this.seq) {
          this.epoch = result.epoch;
          this.seq = Math.max(this.seq, result.seq);
        }
      }
    } finally {
      this.resuming = false;
    }
    const buffered = this.buffered;
    this.buffered = [];
    for (const e of buffered) this.onEvent(e);
  }

  private onEvent(e: HubEvent): void {
    if (e.epoch === undefined || e.seq === undefined) {
      applyEvent(e); // ephemeral (typing, presence)
      return;
    }
    if (this.resuming) {
      this.buffered.push(e);
      return;
    }
    if (this.positioned && (e.epoch !== this.epoch || e.seq > this.seq + 1)) {
      // A gap (or a new epoch): ask the server for what is missing, in order.
      this.buffered.push(e);
      const connection = this.connection;
      if (connection) {
        void this.resume(connection).catch(() => void connection.stop());
      }
      return;
    }
    this.applyPositioned(e);
  }

  private applyPositioned(e: HubEvent): void {
    if (this.positioned && e.epoch === this.epoch && (e.seq ?? 0) <= this.seq) return; // already processed
    this.epoch = e.epoch ?? this.epoch;
    this.seq = e.seq ?? this.seq;
    this.positioned = true;
    try {
      applyEvent(e);
    } catch (error) {
      console.error('event failed', e.type, error);
    }
  }

  private async onResync(e: HubEvent): Promise<void> {
    this.epoch = e.epoch ?? this.epoch;
    this.seq = e.seq ?? this.seq;
    this.positioned = true;
    this.resuming = true;
    try {
      // The cluster may still be recovering (that is often why events were lost): retry until it answers.
      for (let attempt = 0; this.running; attempt++) {
        try {
          await reloadAll();
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * 2 ** attempt)));
        }
      }
    } finally {
      this.resuming = false;
    }
    const buffered = this.buffered;
    this.buffered = [];
    for (const b of buffered) this.onEvent(b);
  }

  /** Calls a hub method when connected, else the REST fallback (or fails when there is none). */
  async invokeOr<T>(method: string, args: unknown[], fallback: (() => Promise<T>) | null): Promise<T> {
    const connection = this.connection;
    if (connection && this.connected()) {
      try {
        return await connection.invoke<T>(method, ...args);
      } catch (error) {
        const e = ApiError.fromText(String((error as Error)?.message ?? ''));
        if (e) throw e;
        // The connection broke under the call: the REST fallback is idempotent (client message ids).
        if (!fallback) throw ApiError.from(error);
      }
    }
    if (!fallback) throw new ApiError('NETWORK', 'Not connected.');
    return fallback();
  }

  visibilityChanged(): void {
    if (this.awayTimer) clearTimeout(this.awayTimer);
    if (document.visibilityState === 'hidden') {
      this.awayTimer = window.setTimeout(() => {
        this.away = true;
        if (this.connected()) void this.connection?.invoke('SetPresence', 'away').catch(() => {});
      }, 60_000);
    } else if (this.away) {
      this.away = false;
      if (this.connected()) void this.connection?.invoke('SetPresence', 'online').catch(() => {});
    }
  }
}

export const realtime = new Realtime();

window.addEventListener('online', () => realtime.retryNow());

// For the browser tests and the curious: the last event position processed.
(window as unknown as { chatDebug: unknown }).chatDebug = {
  position: () => realtime.position,
  connection: () => state.connection,
};
