import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchAttachment } from '../api';
import { clockTime, fileSize, fullTime } from '../format';
import { useEscape } from '../hooks';
import { meId, nameOf, toast, toggleReaction } from '../store';
import type { AttachmentInfo, Message, ReactionGroup } from '../types';
import { Avatar, Icon } from './common';

export const QUICK_EMOJIS = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀', '✅', '🔥'];

/** Reactions stored as shortcodes (e.g. by imported data) are shown as their emoji. */
const SHORTCODES: Record<string, string> = {
  thumbsup: '👍', '+1': '👍', thumbsdown: '👎', '-1': '👎', heart: '❤️', smile: '😄', laughing: '😆', joy: '😂',
  tada: '🎉', fire: '🔥', eyes: '👀', white_check_mark: '✅', check: '✅', rocket: '🚀', pray: '🙏', clap: '👏',
  wave: '👋', '100': '💯', ok_hand: '👌', thinking: '🤔', open_mouth: '😮', cry: '😢',
};

export function emojiOf(text: string): string {
  return SHORTCODES[text.replace(/^:|:$/g, '').toLowerCase()] ?? text;
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

/** Message text as text nodes, with http(s) links as anchors — never as HTML. */
export function RichText({ text }: { text: string }) {
  const parts: (string | { url: string })[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const index = match.index ?? 0;
    if (index > last) parts.push(text.slice(last, index));
    parts.push({ url: match[0] });
    last = index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return (
    <>
      {parts.map((p, i) =>
        typeof p === 'string' ? (
          p
        ) : (
          <a key={i} href={p.url} target="_blank" rel="noopener noreferrer nofollow">
            {p.url}
          </a>
        ),
      )}
    </>
  );
}

const blobCache = new Map<string, Promise<string>>();
function attachmentUrl(id: string): Promise<string> {
  let p = blobCache.get(id);
  if (!p) {
    p = fetchAttachment(id).then((blob) => URL.createObjectURL(blob));
    p.catch(() => blobCache.delete(id));
    blobCache.set(id, p);
  }
  return p;
}

async function download(a: AttachmentInfo): Promise<void> {
  try {
    const url = await attachmentUrl(a.id);
    const link = document.createElement('a');
    link.href = url;
    link.download = a.name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  } catch {
    toast(`Could not download ${a.name}.`);
  }
}

function AttachmentView({ attachment }: { attachment: AttachmentInfo }) {
  const isImage = attachment.contentType.startsWith('image/');
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!isImage) return;
    let live = true;
    attachmentUrl(attachment.id).then(
      (url) => live && setSrc(url),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [attachment.id, isImage]);

  if (isImage && !failed) {
    return (
      <figure class="attachment-image">
        {src ? (
          <a href={src} target="_blank" rel="noopener" aria-label={`Open image ${attachment.name}`}>
            <img src={src} alt={attachment.name} loading="lazy" />
          </a>
        ) : (
          <div class="image-placeholder" aria-label={`Loading image ${attachment.name}`} />
        )}
        <figcaption>
          <span class="file-name">{attachment.name}</span>
          <button type="button" class="link-button" aria-label={`Download ${attachment.name}`} onClick={() => void download(attachment)}>
            Download
          </button>
        </figcaption>
      </figure>
    );
  }
  return (
    <div class="attachment-file">
      <span class="file-icon">
        <Icon name="file" size={22} />
      </span>
      <span class="file-text">
        <span class="file-name">{attachment.name}</span>
        <span class="file-meta">{fileSize(attachment.size)}</span>
      </span>
      <button type="button" class="icon-button" aria-label={`Download ${attachment.name}`} title="Download" onClick={() => void download(attachment)}>
        <Icon name="download" />
      </button>
    </div>
  );
}

export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEscape(onClose);
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    const outside = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    setTimeout(() => document.addEventListener('mousedown', outside), 0);
    return () => document.removeEventListener('mousedown', outside);
  }, []);
  return (
    <div class="emoji-picker" role="menu" aria-label="Pick a reaction" ref={ref}>
      {QUICK_EMOJIS.map((emoji) => (
        <button key={emoji} type="button" role="menuitem" aria-label={`React with ${emoji}`} onClick={() => onPick(emoji)}>
          {emoji}
        </button>
      ))}
    </div>
  );
}

function Reactions({ message, conversationId }: { message: Message; conversationId: string }) {
  if (!message.reactions?.length) return null;
  return (
    <div class="reactions">
      {message.reactions.map((r: ReactionGroup) => {
        const mine = r.userIds.includes(meId());
        const names = r.userIds.map((id) => nameOf(id, conversationId));
        const who = names.length > 0 ? names.join(', ') : `${r.count}`;
        return (
          <button
            key={r.emoji}
            type="button"
            class={`reaction${mine ? ' mine' : ''}`}
            title={`${who} reacted with ${emojiOf(r.emoji)}`}
            aria-label={`${emojiOf(r.emoji)} ${r.count}: ${who}. ${mine ? 'Remove your reaction' : 'Add your reaction'}`}
            aria-pressed={mine}
            onClick={() => void toggleReaction(conversationId, message, r.emoji)}
          >
            <span class="reaction-emoji">{emojiOf(r.emoji)}</span>
            <span class="reaction-count">{r.count}</span>
          </button>
        );
      })}
    </div>
  );
}

export interface MessageItemProps {
  message: Message;
  conversationId: string;
  compact: boolean;
  canModerate: boolean;
  target?: Message;
  highlighted: boolean;
  onReply: (m: Message) => void;
  onEdit: (m: Message) => void;
  onDelete: (m: Message) => void;
  onJump: (id: string) => void;
  receipt?: string;
  receiptDetail?: string;
}

export function MessageItem(props: MessageItemProps) {
  const { message: m, conversationId } = props;
  const [picking, setPicking] = useState(false);
  if (m.type === 'system') {
    return (
      <div class="system-message" role="listitem" data-seq={m.seq} id={`m-${m.id}`}>
        <span>
          <RichText text={m.content ?? ''} />
        </span>
        <time dateTime={m.createdAt} title={fullTime(m.createdAt)}>
          {clockTime(m.createdAt)}
        </time>
      </div>
    );
  }
  const mine = m.senderId === meId();
  const deleted = !!m.deletedAt;
  const senderName = m.sender?.displayName ?? nameOf(m.senderId ?? '', conversationId);
  const reply = m.replyTo;
  const replyAuthor = props.target ? (props.target.senderId === meId() ? 'You' : (props.target.sender?.displayName ?? '')) : '';
  return (
    <div
      class={`message${mine ? ' mine' : ''}${props.compact ? ' compact' : ''}${deleted ? ' deleted' : ''}${props.highlighted ? ' highlighted' : ''}`}
      role="listitem"
      tabIndex={0}
      aria-label={`${mine ? 'You' : senderName} at ${clockTime(m.createdAt)}${deleted ? ', deleted' : ''}${m.editedAt && !deleted ? ', edited' : ''}`}
      data-seq={m.seq}
      data-message-id={m.id}
      id={`m-${m.id}`}
    >
      <div class="message-gutter">
        {props.compact ? (
          <time class="gutter-time" dateTime={m.createdAt} title={fullTime(m.createdAt)}>
            {clockTime(m.createdAt)}
          </time>
        ) : (
          <Avatar id={m.senderId ?? m.id} name={senderName} url={m.sender?.avatarUrl} size={36} />
        )}
      </div>
      <div class="message-main">
        {!props.compact && (
          <div class="message-header">
            <span class="sender">{mine ? 'You' : senderName}</span>
            <time dateTime={m.createdAt} title={fullTime(m.createdAt)}>
              {clockTime(m.createdAt)}
            </time>
          </div>
        )}
        {reply && !deleted && (
          <button type="button" class={`reply-quote${reply.deleted ? ' reply-deleted' : ''}`} aria-label="Show the message this replies to" onClick={() => props.onJump(reply.id)}>
            {reply.deleted ? (
              <span class="reply-text">Original message was deleted</span>
            ) : (
              <>
                {replyAuthor && <span class="reply-author">{replyAuthor}</span>}
                <span class="reply-text">{(props.target && !props.target.deletedAt ? props.target.content : reply.preview) || 'Attachment'}</span>
              </>
            )}
          </button>
        )}
        {deleted ? (
          <div class="message-content deleted-text">This message was deleted</div>
        ) : (
          m.content && (
            <div class="message-content">
              <RichText text={m.content} />
              {m.editedAt && (
                <span class="edited" title={`Edited ${fullTime(m.editedAt)}`}>
                  {' '}
                  (edited)
                </span>
              )}
            </div>
          )
        )}
        {!deleted && m.attachments?.length > 0 && (
          <div class="attachments">
            {m.attachments.map((a) => (
              <AttachmentView key={a.id} attachment={a} />
            ))}
          </div>
        )}
        {!deleted && <Reactions message={m} conversationId={conversationId} />}
        {props.receipt && (
          <div class="receipt" data-testid="receipt" title={props.receiptDetail}>
            {props.receipt}
          </div>
        )}
      </div>
      {!deleted && (
        <div class={`message-actions${picking ? ' open' : ''}`}>
          <button type="button" class="icon-button" aria-label="Add reaction" title="Add reaction" onClick={() => setPicking(!picking)}>
            <Icon name="smile" size={18} />
          </button>
          <button type="button" class="icon-button" aria-label="Reply" title="Reply" onClick={() => props.onReply(m)}>
            <Icon name="reply" size={18} />
          </button>
          {mine && (
            <button type="button" class="icon-button" aria-label="Edit message" title="Edit" onClick={() => props.onEdit(m)}>
              <Icon name="edit" size={18} />
            </button>
          )}
          {(mine || props.canModerate) && (
            <button type="button" class="icon-button danger" aria-label="Delete message" title="Delete" onClick={() => props.onDelete(m)}>
              <Icon name="trash" size={18} />
            </button>
          )}
          {picking && (
            <EmojiPicker
              onClose={() => setPicking(false)}
              onPick={(emoji) => {
                setPicking(false);
                // Join an existing group of the same emoji (also one stored as a shortcode).
                const existing = m.reactions.find((r) => emojiOf(r.emoji) === emoji);
                if (!existing?.userIds.includes(meId())) void toggleReaction(conversationId, m, existing?.emoji ?? emoji);
              }}
            />
          )}
        </div>
      )}
    </div>
  );
}
