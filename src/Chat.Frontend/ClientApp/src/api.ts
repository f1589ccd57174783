// REST client of the frontend's API (SPEC section 12) with the error object of SPEC section 7.
import type {
  AttachmentInfo,
  AuthResponse,
  ConversationDetails,
  Inbox,
  Me,
  Message,
  MessagePage,
  MessageReceipts,
  OrganizationDirectory,
  ReadState,
  Role,
} from './types';

const TOKEN_KEY = 'chat.token';

/** An error of the API or the hub, in the SPEC section 7 shape. */
export class ApiError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status = 0,
    public readonly details?: unknown,
    public readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Parses `{"error": {...}}` out of a body or out of a hub error message. */
  static fromText(text: string, status = 0): ApiError | null {
    const start = text.indexOf('{');
    if (start < 0) return null;
    try {
      const parsed = JSON.parse(text.slice(start)) as { error?: { code?: string; message?: string; details?: unknown; retryAfter?: number } };
      const e = parsed.error;
      if (!e?.code) return null;
      return new ApiError(e.code, e.message ?? e.code, status, e.details, e.retryAfter ?? undefined);
    } catch {
      return null;
    }
  }

  static from(error: unknown): ApiError {
    if (error instanceof ApiError) return error;
    const text = error instanceof Error ? error.message : String(error);
    return ApiError.fromText(text) ?? new ApiError('NETWORK', 'The server could not be reached. Check your connection and try again.');
  }
}

/** Words for the user: what went wrong and what to do. */
export function describeError(error: unknown): string {
  const e = ApiError.from(error);
  switch (e.code) {
    case 'RATE_LIMITED':
      return `You are sending messages too quickly. Try again in ${e.retryAfter ?? 'a few'} seconds.`;
    case 'NOT_PARTICIPANT':
      return 'You are no longer a member of this conversation.';
    case 'FORBIDDEN':
      return 'You are not allowed to do that.';
    case 'NOT_FOUND':
      return 'That no longer exists.';
    case 'UNAUTHORIZED':
      return e.message === 'Invalid username or password.' ? e.message : 'Your session has ended. Please sign in again.';
    case 'EMPTY_MESSAGE':
      return 'Write something or attach a file first.';
    case 'INVALID_FILE_TYPE':
      return 'That kind of file cannot be attached. Images (JPEG, PNG, GIF, WebP), PDF, Word and Excel files are allowed.';
    case 'FILE_TOO_LARGE':
      return 'That file is too large (10 MB at most per file).';
    case 'PAYLOAD_TOO_LARGE':
      return 'That is too large to send.';
    case 'UNAVAILABLE':
      return 'The service is busy for a moment. Try again.';
    case 'NETWORK':
      return e.message;
    case 'INTERNAL_ERROR':
      return 'Something went wrong on our side. Try again.';
    default:
      return e.message || 'Something went wrong.';
  }
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage unavailable: the session lasts as long as the page
  }
  memoryToken = token;
}

let memoryToken: string | null = getToken();
let unauthorizedHandler: () => void = () => {};

/** Called when any request answers 401 (the token expired or was revoked). */
export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
}

export function currentToken(): string | null {
  return memoryToken;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (memoryToken) headers.Authorization = `Bearer ${memoryToken}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError('NETWORK', 'The server could not be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  if (!response.ok) {
    const error = ApiError.fromText(text, response.status) ?? new ApiError(response.status >= 500 ? 'UNAVAILABLE' : 'ERROR', `Request failed (${response.status}).`, response.status);
    if (response.status === 401 && !path.startsWith('/api/auth/')) unauthorizedHandler();
    throw error;
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

const enc = encodeURIComponent;

export const api = {
  register: (username: string, password: string, displayName?: string) =>
    request<AuthResponse>('POST', '/api/auth/register', { username, password, displayName: displayName || undefined }),
  login: (username: string, password: string) => request<AuthResponse>('POST', '/api/auth/login', { username, password }),
  logout: () => request<void>('POST', '/api/auth/logout'),
  me: () => request<Me>('GET', '/api/me'),
  updateMe: (displayName?: string, avatarUrl?: string) => request<Me>('PATCH', '/api/me', { displayName, avatarUrl }),
  members: (orgId: string, query?: string) =>
    request<OrganizationDirectory>('GET', `/api/organizations/${enc(orgId)}/members${query ? `?query=${enc(query)}` : ''}`),
  inbox: () => request<Inbox>('GET', '/api/conversations'),
  openDirect: (userId: string, organizationId?: string) =>
    request<ConversationDetails>('POST', '/api/conversations/direct', { userId, organizationId }),
  createGroup: (organizationId: string, name: string, participantIds: string[]) =>
    request<ConversationDetails>('POST', '/api/conversations/group', { organizationId, name, participantIds }),
  conversation: (id: string) => request<ConversationDetails>('GET', `/api/conversations/${enc(id)}`),
  updateConversation: (id: string, name?: string, description?: string) =>
    request<ConversationDetails>('PATCH', `/api/conversations/${enc(id)}`, { name, description }),
  deleteConversation: (id: string) => request<void>('DELETE', `/api/conversations/${enc(id)}`),
  addParticipants: (id: string, userIds: string[]) =>
    request<ConversationDetails>('POST', `/api/conversations/${enc(id)}/participants`, { userIds }),
  removeParticipant: (id: string, userId: string) => request<void>('DELETE', `/api/conversations/${enc(id)}/participants/${enc(userId)}`),
  setRole: (id: string, userId: string, role: Role) =>
    request<ConversationDetails>('PATCH', `/api/conversations/${enc(id)}/participants/${enc(userId)}`, { role }),
  settings: (id: string, settings: { isStarred?: boolean; isMuted?: boolean }) =>
    request<unknown>('PUT', `/api/conversations/${enc(id)}/settings`, settings),
  markRead: (id: string, seq?: number) => request<ReadState>('POST', `/api/conversations/${enc(id)}/read`, seq === undefined ? {} : { seq }),
  messages: (id: string, options: { before?: number; after?: number; limit?: number } = {}) => {
    const query = new URLSearchParams();
    if (options.before !== undefined) query.set('before', String(options.before));
    if (options.after !== undefined) query.set('after', String(options.after));
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    const qs = query.toString();
    return request<MessagePage>('GET', `/api/conversations/${enc(id)}/messages${qs ? `?${qs}` : ''}`);
  },
  send: (id: string, body: { clientMessageId: string; content?: string; attachmentIds?: string[]; replyToId?: string }) =>
    request<Message>('POST', `/api/conversations/${enc(id)}/messages`, body),
  edit: (id: string, messageId: string, content: string) =>
    request<Message>('PATCH', `/api/conversations/${enc(id)}/messages/${enc(messageId)}`, { content }),
  remove: (id: string, messageId: string) => request<Message>('DELETE', `/api/conversations/${enc(id)}/messages/${enc(messageId)}`),
  react: (id: string, messageId: string, emoji: string) =>
    request<Message>('PUT', `/api/conversations/${enc(id)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`),
  unreact: (id: string, messageId: string, emoji: string) =>
    request<Message>('DELETE', `/api/conversations/${enc(id)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`),
  receipts: (id: string, messageId: string) =>
    request<MessageReceipts>('GET', `/api/conversations/${enc(id)}/messages/${enc(messageId)}/receipts`),
};

/** Uploads one file (multipart `file`) and reports progress from 0 to 1. */
export function uploadAttachment(file: File, onProgress: (fraction: number) => void): { promise: Promise<AttachmentInfo>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<AttachmentInfo>((resolve, reject) => {
    xhr.open('POST', '/api/attachments');
    if (memoryToken) xhr.setRequestHeader('Authorization', `Bearer ${memoryToken}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(JSON.parse(xhr.responseText) as AttachmentInfo);
      } else {
        if (xhr.status === 401) unauthorizedHandler();
        reject(ApiError.fromText(xhr.responseText, xhr.status) ?? new ApiError('ERROR', `Upload failed (${xhr.status}).`, xhr.status));
      }
    };
    xhr.onerror = () => reject(new ApiError('NETWORK', 'The upload was interrupted. Check your connection and try again.'));
    xhr.onabort = () => reject(new ApiError('ABORTED', 'Upload cancelled.'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Downloads an attachment with the bearer token (images are shown from a blob URL). */
export async function fetchAttachment(id: string): Promise<Blob> {
  const headers: Record<string, string> = {};
  if (memoryToken) headers.Authorization = `Bearer ${memoryToken}`;
  const response = await fetch(`/api/attachments/${enc(id)}`, { headers });
  if (!response.ok) {
    throw ApiError.fromText(await response.text(), response.status) ?? new ApiError('ERROR', `Download failed (${response.status}).`);
  }
  return response.blob();
}

export function newClientMessageId(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
