-- Vigil operational state, schema version 4 (SQLite): local users and their browser sessions.
--
-- Passwords are stored as Argon2id PHC strings (salt and parameters inside); session ids only as the
-- SHA-256 of the cookie value, like API key secrets.

CREATE TABLE users (
    name            TEXT    NOT NULL PRIMARY KEY,
    role            TEXT    NOT NULL,
    tenant          TEXT    NOT NULL DEFAULT 'default',
    password_hash   TEXT    NOT NULL,
    created         BIGINT  NOT NULL,
    password_set    BIGINT  NOT NULL,
    -- 1 after `vigil admin bootstrap` or a generated password: the user should choose their own.
    must_change     INTEGER NOT NULL DEFAULT 0,
    last_login      BIGINT,
    disabled_at     BIGINT
);

CREATE TABLE sessions (
    id_hash     TEXT    NOT NULL PRIMARY KEY,
    user_name   TEXT    NOT NULL REFERENCES users (name),
    created     BIGINT  NOT NULL,
    expires     BIGINT  NOT NULL,
    last_seen   BIGINT  NOT NULL,
    ended_at    BIGINT
);

CREATE INDEX sessions_user ON sessions (user_name);
