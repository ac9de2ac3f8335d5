-- Schema version 6: browser sessions of people who logged in through the OpenID provider. They have
-- no row in `users`: the principal (id, name, tenant, roles) the provider's ID token mapped to at
-- login is kept with the session, as JSON, and is what the session acts as until it ends.
-- Only the SHA-256 of the cookie value is stored, as for local sessions.

CREATE TABLE federated_sessions (
    id_hash     TEXT    NOT NULL PRIMARY KEY,
    principal   TEXT    NOT NULL,
    created     BIGINT  NOT NULL,
    expires     BIGINT  NOT NULL,
    last_seen   BIGINT  NOT NULL,
    ended_at    BIGINT
);
