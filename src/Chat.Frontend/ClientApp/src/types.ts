// Shapes of the REST API and hub events (SPEC section 12; JSON is camelCase, times ISO-8601 UTC).

export type Role = 'owner' | 'admin' | 'member';
export type Presence = 'online' | 'away' | 'offline';
export type ConversationType = 'direct' | 'group';

export interface UserProfile {
  id: string;
  username: string;
  displayName: string;
  email?: string | null;
  avatarUrl?: string | null;
  status: Presence;
  lastSeenAt?: string | null;
}

export interface OrganizationMembership {
  organizationId: string;
  name: string;
  role: Role;
}

export interface Me extends UserProfile {
  organizations: OrganizationMembership[];
}

export interface AuthResponse {
  token: string;
  expiresAt: string;
  user: UserProfile;
}

export interface InboxParticipant {
  userId: string;
  displayName: string;
  avatarUrl?: string | null;
  presence: Presence;
}

export interface LastMessagePreview {
  messageId: string;
  seq: number;
  senderId?: string | null;
  senderName?: string | null;
  type: 'text' | 'system';
  text?: string | null;
  createdAt: string;
  attachmentCount: number;
  deleted: boolean;
}

export interface InboxEntry {
  conversationId: string;
  type: ConversationType;
  organizationId: string;
  name?: string | null;
  displayName: string;
  participants: InboxParticipant[];
  participantCount: number;
  lastMessage?: LastMessagePreview | null;
  lastActivityAt: string;
  lastSeq: number;
  lastReadSeq: number;
  unreadCount: number;
  isStarred: boolean;
  isMuted: boolean;
  role: Role;
}

export interface Inbox {
  conversations: InboxEntry[];
  totalUnread: number;
  unreadConversations: number;
}

export interface ParticipantInfo {
  userId: string;
  displayName: string;
  avatarUrl?: string | null;
  role: Role;
  joinedAt: string;
}

export interface ConversationDetails {
  id: string;
  type: ConversationType;
  organizationId: string;
  name?: string | null;
  description?: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  lastSeq: number;
  participants: ParticipantInfo[];
  me: {
    role: Role;
    lastReadSeq: number;
    lastReadAt?: string | null;
    unreadCount: number;
    isStarred: boolean;
    isMuted: boolean;
  };
}

export interface AttachmentInfo {
  id: string;
  name: string;
  contentType: string;
  size: number;
}

export interface ReplyPreview {
  id: string;
  seq: number;
  preview?: string | null;
  deleted: boolean;
}

export interface ReactionGroup {
  emoji: string;
  count: number;
  userIds: string[];
}

export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  senderId?: string | null;
  sender?: { id: string; displayName: string; avatarUrl?: string | null } | null;
  type: 'text' | 'system';
  content?: string | null;
  attachments: AttachmentInfo[];
  replyTo?: ReplyPreview | null;
  reactions: ReactionGroup[];
  createdAt: string;
  editedAt?: string | null;
  deletedAt?: string | null;
  clientMessageId?: string | null;
  systemEvent?: string | null;
}

export interface MessagePage {
  messages: Message[];
  hasMore: boolean;
}

export interface ReceiptEntry {
  userId: string;
  at?: string | null;
}

export interface MessageReceipts {
  messageId: string;
  seq: number;
  status: 'sent' | 'delivered' | 'read';
  recipientCount: number;
  readBy: ReceiptEntry[];
  deliveredTo: ReceiptEntry[];
}

export interface OrganizationMember {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl?: string | null;
  role: Role;
  joinedAt: string;
}

export interface OrganizationDirectory {
  organizationId: string;
  members: OrganizationMember[];
}

export interface ReadState {
  conversationId: string;
  userId: string;
  lastReadSeq: number;
  lastReadAt?: string | null;
  unreadCount: number;
}

/** A hub event: `type` plus the user's event position (absent on ephemeral events). */
export interface HubEvent {
  type: string;
  epoch?: number;
  seq?: number;
  conversationId?: string;
  [key: string]: unknown;
}

export interface ResumeResult {
  events?: HubEvent[] | null;
  resync?: boolean | null;
  epoch: number;
  seq: number;
}
