-- Chat domain schema (SPEC sections 2-5). Every write the grains make is conditional or guarded by
-- one of the unique keys below, so a stale duplicate activation cannot overwrite or duplicate rows.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL CHECK (username ~ '^[a-zA-Z0-9_]{3,50}$'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    email         text,
    avatar_url    text CHECK (avatar_url IS NULL OR length(avatar_url) <= 500),
    password_hash text NOT NULL,
    status        text NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
    last_seen_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Usernames and emails are unique regardless of case ("Alice" and "alice" are the same person).
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE organization_members (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    user_id         uuid NOT NULL REFERENCES users (id),
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user_idx ON organization_members (user_id);

CREATE TABLE conversations (
    id              uuid PRIMARY KEY,
    type            text NOT NULL CHECK (type IN ('direct', 'group')),
    name            text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 255),
    description     text,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    created_by      uuid NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    -- Optimistic concurrency for metadata and membership changes.
    version         bigint NOT NULL DEFAULT 1
);
CREATE INDEX conversations_organization_idx ON conversations (organization_id);

CREATE TABLE conversation_participants (
    conversation_id    uuid NOT NULL REFERENCES conversations (id),
    user_id            uuid NOT NULL REFERENCES users (id),
    role               text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at          timestamptz NOT NULL DEFAULT now(),
    left_at            timestamptz,
    last_read_seq      bigint NOT NULL DEFAULT 0,
    last_read_at       timestamptz,
    last_delivered_seq bigint NOT NULL DEFAULT 0,
    is_starred         boolean NOT NULL DEFAULT false,
    is_muted           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (conversation_id, user_id)
);
-- A user's conversations (inbox load, search scope, attachment access).
CREATE INDEX conversation_participants_user_idx ON conversation_participants (user_id, conversation_id) WHERE left_at IS NULL;

-- At most one direct conversation per pair and organization (user_a < user_b).
CREATE TABLE direct_conversations (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    user_a          uuid NOT NULL REFERENCES users (id),
    user_b          uuid NOT NULL REFERENCES users (id),
    conversation_id uuid NOT NULL UNIQUE REFERENCES conversations (id),
    PRIMARY KEY (organization_id, user_a, user_b),
    CHECK (user_a < user_b)
);

CREATE TABLE messages (
    id                uuid PRIMARY KEY,
    conversation_id   uuid NOT NULL REFERENCES conversations (id),
    seq               bigint NOT NULL CHECK (seq > 0),
    sender_id         uuid REFERENCES users (id),
    type              text NOT NULL CHECK (type IN ('text', 'system')),
    content           text NOT NULL DEFAULT '',
    system_event      text,
    reply_to_id       uuid REFERENCES messages (id),
    client_message_id text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    edited_at         timestamptz,
    deleted_at        timestamptz,
    search            tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,
    CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq),
    CONSTRAINT messages_client_message_id_key UNIQUE (conversation_id, sender_id, client_message_id)
);
CREATE INDEX messages_search_idx ON messages USING gin (search);
-- Search results are newest first per conversation set.
CREATE INDEX messages_created_idx ON messages (conversation_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE message_reactions (
    message_id uuid NOT NULL REFERENCES messages (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    emoji      text NOT NULL CHECK (octet_length(emoji) BETWEEN 1 AND 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, user_id, emoji)
);

CREATE TABLE attachments (
    id           uuid PRIMARY KEY,
    uploader_id  uuid NOT NULL REFERENCES users (id),
    name         text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL CHECK (size >= 0),
    content      bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_uploader_idx ON attachments (uploader_id);

-- An attachment belongs to at most one message.
CREATE TABLE message_attachments (
    message_id    uuid NOT NULL REFERENCES messages (id),
    attachment_id uuid NOT NULL UNIQUE REFERENCES attachments (id),
    position      integer NOT NULL,
    PRIMARY KEY (message_id, attachment_id)
);

-- Earlier versions of edited messages, kept for audit.
CREATE TABLE message_edits (
    message_id       uuid NOT NULL REFERENCES messages (id),
    version          integer NOT NULL,
    previous_content text NOT NULL,
    edited_by        uuid NOT NULL REFERENCES users (id),
    edited_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, version)
);
