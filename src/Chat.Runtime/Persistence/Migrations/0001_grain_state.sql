-- Grain state of the runtime's PostgreSQL storage provider.
-- The key includes the grain type (Orleans' ADO.NET key leaves it out and collides).
CREATE TABLE IF NOT EXISTS grain_state (
    service_id  text        NOT NULL,
    grain_type  text        NOT NULL,
    grain_key   text        NOT NULL,
    state_name  text        NOT NULL,
    version     integer     NOT NULL,
    payload     jsonb,
    modified_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_type, grain_key, state_name)
);
