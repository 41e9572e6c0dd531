-- Tollgate schema: audit log (partitioned by month), policy rules, admin actions.
-- Applied by `tollgate migrate` as the owner role, inside one transaction.

-- Audit ----------------------------------------------------------------------

CREATE TABLE audit_log (
    ts             timestamptz NOT NULL,
    instance       text        NOT NULL,
    seq            bigint      NOT NULL,
    event          text        NOT NULL CHECK (event IN ('request', 'tunnel_open', 'tunnel_close')),
    client_ip      inet,
    client_port    int,
    username       text,
    groups         text[],
    method         text,
    scheme         text,
    host           text,
    port           int,
    path           text,
    status         int,
    decision       text        NOT NULL CHECK (decision IN ('allow', 'deny', 'auth_required', 'auth_failed', 'error')),
    rule_id        bigint,
    would_rule_id  bigint,
    policy_version bigint,
    bytes_up       bigint      NOT NULL DEFAULT 0,
    bytes_down     bigint      NOT NULL DEFAULT 0,
    duration_us    bigint      NOT NULL DEFAULT 0,
    upstream_ip    inet,
    user_agent     text,
    error          text,
    prev_hash      bytea       NOT NULL,
    hash           bytea       NOT NULL
) PARTITION BY RANGE (ts);

-- A replayed record collides with its first copy (ts is part of the record).
CREATE UNIQUE INDEX audit_log_chain_key ON audit_log (instance, seq, ts);
-- The searches analysts run: newest first by time, by user, by host, by decision.
CREATE INDEX audit_log_ts ON audit_log (ts DESC, instance, seq);
CREATE INDEX audit_log_user_ts ON audit_log (username, ts DESC);
CREATE INDEX audit_log_host_ts ON audit_log (host, ts DESC);
-- Suffix searches ("*.example.com") use the reversed host.
CREATE INDEX audit_log_rhost_ts ON audit_log (reverse(host) text_pattern_ops, ts DESC);
CREATE INDEX audit_log_decision_ts ON audit_log (decision, ts DESC);
CREATE INDEX audit_log_client_ts ON audit_log (client_ip, ts DESC);

-- Creates the month partition holding `at`, if missing. Run by the owner role
-- (migrate, and the writer's upkeep connection) ahead of time.
CREATE FUNCTION audit_ensure_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    name text := 'audit_log_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYYMM');
BEGIN
    IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
                       name, month_start, month_start + interval '1 month');
    END IF;
    RETURN name;
END $$;

-- Rows outside any month partition still land somewhere rather than fail.
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;

SELECT audit_ensure_partition(now() - interval '1 month');
SELECT audit_ensure_partition(now());
SELECT audit_ensure_partition(now() + interval '1 month');
SELECT audit_ensure_partition(now() + interval '2 months');

-- Policy ---------------------------------------------------------------------

CREATE TABLE rules (
    id            bigserial   PRIMARY KEY,
    priority      int         NOT NULL DEFAULT 1000,
    action        text        NOT NULL CHECK (action IN ('allow', 'deny')),
    groups        text[]      NOT NULL DEFAULT '{}',
    hosts         text[]      NOT NULL DEFAULT '{}',
    ports         text[]      NOT NULL DEFAULT '{}',
    methods       text[]      NOT NULL DEFAULT '{}',
    path_prefixes text[]      NOT NULL DEFAULT '{}',
    schedule      jsonb,
    mode          text        NOT NULL DEFAULT 'enforce' CHECK (mode IN ('enforce', 'report')),
    comment       text        NOT NULL DEFAULT '',
    enabled       boolean     NOT NULL DEFAULT true,
    version       bigint      NOT NULL DEFAULT 1,     -- per-rule, for ETag / If-Match
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rules_order ON rules (priority, id);

-- One row: the version of the whole rule set, bumped by every change.
CREATE TABLE policy_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   bigint  NOT NULL
);
INSERT INTO policy_version VALUES (true, 1);

-- Every change to rules bumps the policy version and tells every instance.
CREATE FUNCTION rules_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    UPDATE policy_version SET version = version + 1 RETURNING version INTO v;
    PERFORM pg_notify('tollgate_rules', v::text);
    RETURN NULL;
END $$;
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rules
    FOR EACH STATEMENT EXECUTE FUNCTION rules_changed();

-- Admin actions --------------------------------------------------------------

CREATE TABLE admin_actions (
    id         bigserial   PRIMARY KEY,
    ts         timestamptz NOT NULL DEFAULT now(),
    actor      text        NOT NULL,
    role       text        NOT NULL,
    action     text        NOT NULL,
    target     text,
    before     jsonb,
    after      jsonb,
    client_ip  inet
);
CREATE INDEX admin_actions_ts ON admin_actions (ts DESC);

-- Roles ----------------------------------------------------------------------

-- The proxy writes audit rows as tollgate_writer: INSERT and SELECT only, never
-- UPDATE or DELETE, so a compromised proxy cannot rewrite history.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tollgate_writer') THEN
        CREATE ROLE tollgate_writer LOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO tollgate_writer;
GRANT SELECT, INSERT ON audit_log TO tollgate_writer;
GRANT SELECT ON rules, policy_version TO tollgate_writer;
