-- loaxa: the province's database (PostgreSQL 13 or later).
--
-- Every commune station pushes its broadcast log (as-run records), its library facts and a
-- heartbeat here; the province's tools (`loaxa province report`, `loaxa province status`)
-- read it. This file is the schema: a list of migrations, each run once, in order, in one
-- transaction, by `loaxa province migrate --db URL` (as the database's owner). The version
-- each migration brings is recorded in loaxa.migrations; a migration is never edited once
-- released: a change is a new migration appended at the end.
--
-- Who may do what (row-level security):
--   loaxa_station   group of the stations' login roles: reads and writes only its own rows
--                   (the station named in loaxa.stations for the login), may add records but
--                   never change or delete one;
--   loaxa_province  group of the province's readers: reads everything, writes nothing.
-- `loaxa province add-station --db URL CODE` creates a station's login role and its row.
--
-- The record column holds each record as the station's log holds it (JSON); the station
-- computed `hash` over it (see the README, "tamper evidence"), so the province verifies each
-- station's chain itself and sees a record altered on either side.

-- migration 1: stations, records, segments, heartbeats, roles and row-level security
CREATE SCHEMA IF NOT EXISTS loaxa;

CREATE TABLE loaxa.migrations (
    version    integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE loaxa.stations (
    code     text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,47}$'),
    name     text NOT NULL DEFAULT '',
    -- The PostgreSQL role the station logs in as.
    login    name UNIQUE,
    added_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE loaxa.records (
    station     text   NOT NULL REFERENCES loaxa.stations (code),
    id          bigint NOT NULL CHECK (id > 0),
    -- When it aired (or was due, for what never aired), for choosing a period.
    at          timestamptz NOT NULL,
    hash        text   NOT NULL,
    prev_hash   text   NOT NULL,
    record      jsonb  NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station, id)
);
CREATE INDEX records_at ON loaxa.records (at);

CREATE TABLE loaxa.segments (
    station    text   NOT NULL REFERENCES loaxa.stations (code),
    id         bigint NOT NULL CHECK (id > 0),
    sha256     text   NOT NULL,
    title      text   NOT NULL,
    topic      text   NOT NULL,
    unit       text,
    segment    jsonb  NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station, id)
);

CREATE TABLE loaxa.heartbeats (
    station      text PRIMARY KEY REFERENCES loaxa.stations (code),
    -- The province's clock when the heartbeat arrived; the station's own clock beside it.
    seen_at      timestamptz NOT NULL DEFAULT now(),
    station_time timestamptz NOT NULL,
    version      text NOT NULL,
    station_name text NOT NULL DEFAULT '',
    on_air       text,
    warnings     jsonb NOT NULL DEFAULT '[]',
    topics       jsonb NOT NULL DEFAULT '{}',
    -- The last record in the station's own log, and how many it has not sent yet.
    last_record  bigint NOT NULL DEFAULT 0,
    unsent       bigint NOT NULL DEFAULT 0
);

-- The station the session's login belongs to (NULL for others).
CREATE FUNCTION loaxa.my_station() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT code FROM loaxa.stations WHERE login = session_user $$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'loaxa_station') THEN
        CREATE ROLE loaxa_station NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'loaxa_province') THEN
        CREATE ROLE loaxa_province NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA loaxa FROM PUBLIC;
GRANT USAGE ON SCHEMA loaxa TO loaxa_station, loaxa_province;
GRANT SELECT ON ALL TABLES IN SCHEMA loaxa TO loaxa_province;
GRANT EXECUTE ON FUNCTION loaxa.my_station() TO loaxa_station;
GRANT SELECT ON loaxa.migrations, loaxa.stations TO loaxa_station;
GRANT SELECT, INSERT ON loaxa.records TO loaxa_station;
GRANT SELECT, INSERT, UPDATE ON loaxa.segments, loaxa.heartbeats TO loaxa_station;

ALTER TABLE loaxa.stations ENABLE ROW LEVEL SECURITY;
ALTER TABLE loaxa.records ENABLE ROW LEVEL SECURITY;
ALTER TABLE loaxa.segments ENABLE ROW LEVEL SECURITY;
ALTER TABLE loaxa.heartbeats ENABLE ROW LEVEL SECURITY;

CREATE POLICY own ON loaxa.stations TO loaxa_station USING (login = session_user);
CREATE POLICY own ON loaxa.records TO loaxa_station
    USING (station = loaxa.my_station()) WITH CHECK (station = loaxa.my_station());
CREATE POLICY own ON loaxa.segments TO loaxa_station
    USING (station = loaxa.my_station()) WITH CHECK (station = loaxa.my_station());
CREATE POLICY own ON loaxa.heartbeats TO loaxa_station
    USING (station = loaxa.my_station()) WITH CHECK (station = loaxa.my_station());
CREATE POLICY province ON loaxa.stations TO loaxa_province USING (true);
CREATE POLICY province ON loaxa.records TO loaxa_province USING (true);
CREATE POLICY province ON loaxa.segments TO loaxa_province USING (true);
CREATE POLICY province ON loaxa.heartbeats TO loaxa_province USING (true);
