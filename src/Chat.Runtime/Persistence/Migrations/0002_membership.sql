-- Cluster membership (one row per silo incarnation) and the table version used for optimistic
-- concurrency of status changes. Heartbeats update heartbeat_at only and leave the version alone.
CREATE TABLE IF NOT EXISTS cluster_versions (
    cluster_id text   PRIMARY KEY,
    version    bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS cluster_members (
    cluster_id        text        NOT NULL,
    address           text        NOT NULL,
    port              integer     NOT NULL,
    generation        bigint      NOT NULL,
    silo_name         text        NOT NULL,
    status            smallint    NOT NULL,
    gateway_port      integer     NOT NULL,
    http_url          text,
    start_time        timestamptz NOT NULL DEFAULT now(),
    heartbeat_at      timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    declared_dead_by  text,
    PRIMARY KEY (cluster_id, address, port, generation)
);

CREATE INDEX IF NOT EXISTS cluster_members_status ON cluster_members (cluster_id, status);
