-- The home-made actor runtime is gone (the cluster runs on Orleans, whose tables are the "orleans"
-- migration component): drop its grain state and membership tables where an older database has them.
DROP TABLE IF EXISTS cluster_members;
DROP TABLE IF EXISTS cluster_versions;
DROP TABLE IF EXISTS grain_state;
DELETE FROM schema_migrations WHERE component = 'runtime';
