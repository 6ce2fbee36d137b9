-- obrol schema, applied to a new database (PRAGMA user_version = 1 afterwards).
-- Later changes are numbered migrations in src/db.rs; never edit a released version here
-- without adding the matching migration.
-- Ids are UUID v4 strings; timestamps are RFC 3339 UTC strings with milliseconds
-- ('2025-01-15T10:00:00.000Z'), which sort in time order as text.

CREATE TABLE departments (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  deleted_at  TEXT
);

-- Agents (SPEC §4). `number` is the seed-002 agent_id / sender_id, shared with the host's users.
CREATE TABLE users (
  id               TEXT PRIMARY KEY,
  number           INTEGER NOT NULL UNIQUE,
  name             TEXT NOT NULL,
  email            TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash    TEXT NOT NULL,
  department_id    TEXT REFERENCES departments(id),
  role             TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent')),
  max_chats        INTEGER NOT NULL DEFAULT 5 CHECK (max_chats >= 1),
  disabled         INTEGER NOT NULL DEFAULT 0,
  status           TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
  last_assigned_at TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  deleted_at       TEXT
);
CREATE INDEX users_presence ON users(status, disabled, department_id);

-- Seed 000. An anonymous row has browser_uuid; a logged-in account has oss_user_id.
-- A browser linked to an account keeps its own row with linked_to = the account.
CREATE TABLE chat_users (
  id            TEXT PRIMARY KEY,
  browser_uuid  TEXT UNIQUE,
  oss_user_id   TEXT UNIQUE,
  email         TEXT,
  is_anonymous  INTEGER NOT NULL DEFAULT 1,
  ip_address    TEXT NOT NULL,
  user_agent    TEXT,
  linked_to     TEXT REFERENCES chat_users(id),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  deleted_at    TEXT
);
CREATE INDEX chat_users_linked ON chat_users(linked_to);

-- One table for the sessions of both families: `family` says which API opened it.
-- OSS sessions belong to a chat user; tenant sessions to a tenant (seed 002 status
-- OPEN = waiting|active, CLOSED = closed).
CREATE TABLE chat_sessions (
  id               TEXT PRIMARY KEY,
  family           TEXT NOT NULL DEFAULT 'oss' CHECK (family IN ('oss', 'tenant')),
  chat_user_id     TEXT REFERENCES chat_users(id),
  tenant_id        INTEGER,
  opened_by        INTEGER,
  agent_id         TEXT REFERENCES users(id),
  department_id    TEXT REFERENCES departments(id),
  topic            TEXT NOT NULL DEFAULT '',
  status           TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'closed')),
  priority         TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  priority_rank    INTEGER NOT NULL DEFAULT 2,
  page_url         TEXT,
  user_agent       TEXT,
  last_activity_at TEXT NOT NULL,
  started_at       TEXT NOT NULL,
  ended_at         TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  deleted_at       TEXT,
  CHECK ((family = 'oss' AND chat_user_id IS NOT NULL) OR (family = 'tenant' AND tenant_id IS NOT NULL))
);
CREATE INDEX chat_sessions_user ON chat_sessions(chat_user_id, started_at DESC);
CREATE INDEX chat_sessions_tenant ON chat_sessions(tenant_id, started_at DESC);
CREATE INDEX chat_sessions_agent ON chat_sessions(agent_id, status);
-- The queue: highest priority first, then oldest.
CREATE INDEX chat_sessions_queue ON chat_sessions(status, priority_rank DESC, started_at);
CREATE INDEX chat_sessions_idle ON chat_sessions(status, last_activity_at);
-- Seed 002: a tenant has at most one OPEN session.
CREATE UNIQUE INDEX chat_sessions_one_open_per_tenant
  ON chat_sessions(tenant_id) WHERE family = 'tenant' AND status <> 'closed';

-- Seed 000: at most one contact per session (setting it again updates it).
CREATE TABLE chat_session_contacts (
  id             TEXT PRIMARY KEY,
  session_id     TEXT NOT NULL UNIQUE REFERENCES chat_sessions(id),
  contact_name   TEXT NOT NULL,
  contact_email  TEXT NOT NULL,
  contact_phone  TEXT,
  position       TEXT,
  company_name   TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  deleted_at     TEXT
);

-- Messages of both families. `seq` is the total order (cursors, replay); `id` the public id.
CREATE TABLE messages (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT NOT NULL UNIQUE,
  session_id      TEXT NOT NULL REFERENCES chat_sessions(id),
  sender_type     TEXT NOT NULL CHECK (sender_type IN ('customer', 'agent', 'system')),
  sender_agent_id TEXT REFERENCES users(id),
  sender_number   INTEGER,
  message         TEXT NOT NULL,
  client_id       TEXT,
  created_at      TEXT NOT NULL,
  deleted_at      TEXT
);
CREATE INDEX messages_session ON messages(session_id, seq);
CREATE INDEX messages_session_sender ON messages(session_id, sender_number, seq);
CREATE UNIQUE INDEX messages_client_id ON messages(session_id, client_id) WHERE client_id IS NOT NULL;

-- Full-text search over message text for agents (FTS5 is compiled into bundled SQLite).
CREATE VIRTUAL TABLE messages_fts USING fts5(message, content = 'messages', content_rowid = 'seq');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, message) VALUES (new.seq, new.message);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, message) VALUES ('delete', old.seq, old.message);
END;

-- Opaque API tokens for the tenant family; only a SHA-256 of the secret is stored.
CREATE TABLE api_tokens (
  id          TEXT PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,
  user_number INTEGER NOT NULL,
  role        TEXT NOT NULL,
  tenants     TEXT NOT NULL DEFAULT '[]',
  created_at  TEXT NOT NULL,
  expires_at  TEXT,
  revoked_at  TEXT
);

-- Agent console logins; only a SHA-256 of the bearer token is stored.
CREATE TABLE agent_tokens (
  token_hash  TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(id),
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL
);
CREATE INDEX agent_tokens_user ON agent_tokens(user_id);
