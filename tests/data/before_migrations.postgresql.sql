-- The schema the code made with metadata.create_all before migrations (PostgreSQL), as pg_dump
-- --schema-only printed it: what tests/test_migrations.py recognises, stamps and upgrades.
CREATE FUNCTION public.staff_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;

CREATE TABLE public.booking_requests (
    id integer NOT NULL,
    sender_id character varying(255) NOT NULL,
    patient_name character varying(255) NOT NULL,
    contact character varying(255) NOT NULL,
    contact_kind character varying(16) NOT NULL,
    preferred character varying(64) NOT NULL,
    preferred_text text NOT NULL,
    patient_type character varying(16) NOT NULL,
    reason text NOT NULL,
    red_flag character varying(16),
    status character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

CREATE SEQUENCE public.booking_requests_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.booking_requests_id_seq OWNED BY public.booking_requests.id;

CREATE TABLE public.change_requests (
    id integer NOT NULL,
    sender_id character varying(255) NOT NULL,
    patient_name character varying(255) NOT NULL,
    contact character varying(255) NOT NULL,
    details text NOT NULL,
    status character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

CREATE SEQUENCE public.change_requests_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.change_requests_id_seq OWNED BY public.change_requests.id;

CREATE TABLE public.escalations (
    id integer NOT NULL,
    sender_id character varying(255) NOT NULL,
    severity character varying(16) NOT NULL,
    flags text NOT NULL,
    message text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    acknowledged_at timestamp with time zone,
    acknowledged_by character varying(255)
);

CREATE SEQUENCE public.escalations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.escalations_id_seq OWNED BY public.escalations.id;

CREATE TABLE public.handoff_requests (
    id integer NOT NULL,
    sender_id character varying(255) NOT NULL,
    channel character varying(64),
    status character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

CREATE SEQUENCE public.handoff_requests_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.handoff_requests_id_seq OWNED BY public.handoff_requests.id;

CREATE TABLE public.notifications (
    id integer NOT NULL,
    kind character varying(32) NOT NULL,
    ref_id integer,
    sender_id character varying(255) NOT NULL,
    target character varying(255) NOT NULL,
    status character varying(16) NOT NULL,
    attempts integer NOT NULL,
    last_error text,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);

CREATE SEQUENCE public.notifications_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.notifications_id_seq OWNED BY public.notifications.id;

CREATE TABLE public.staff_audit (
    id integer NOT NULL,
    at double precision NOT NULL,
    actor character varying(64) NOT NULL,
    action character varying(32) NOT NULL,
    target character varying(255),
    detail text,
    ip character varying(64)
);

CREATE SEQUENCE public.staff_audit_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.staff_audit_id_seq OWNED BY public.staff_audit.id;

CREATE TABLE public.staff_conversations (
    id integer NOT NULL,
    sender_id character varying(255) NOT NULL,
    channel character varying(64),
    started_at double precision NOT NULL,
    last_at double precision NOT NULL,
    n_user integer NOT NULL,
    n_fallback integer NOT NULL,
    n_low integer NOT NULL,
    topics text NOT NULL,
    severity character varying(16),
    has_booking boolean NOT NULL,
    has_handoff boolean NOT NULL,
    paused boolean NOT NULL,
    preview text NOT NULL,
    search_text text NOT NULL,
    tags text DEFAULT ''::text NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    reviewed_by character varying(64),
    reviewed_at double precision
);

CREATE SEQUENCE public.staff_conversations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.staff_conversations_id_seq OWNED BY public.staff_conversations.id;

CREATE TABLE public.staff_index_state (
    name character varying(64) NOT NULL,
    last_id integer NOT NULL
);

CREATE TABLE public.staff_login_failures (
    key character varying(255) NOT NULL,
    failures integer NOT NULL,
    first_at double precision NOT NULL,
    locked_until double precision
);

CREATE TABLE public.staff_sessions (
    token_hash character varying(64) NOT NULL,
    user_id integer NOT NULL,
    csrf character varying(64) NOT NULL,
    created_at double precision NOT NULL,
    last_seen_at double precision NOT NULL
);

CREATE TABLE public.staff_users (
    id integer NOT NULL,
    name character varying(64) NOT NULL,
    password_hash character varying(255) NOT NULL,
    role character varying(16) NOT NULL,
    created_at double precision NOT NULL,
    last_login_at double precision
);

CREATE SEQUENCE public.staff_users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.staff_users_id_seq OWNED BY public.staff_users.id;

ALTER TABLE ONLY public.booking_requests ALTER COLUMN id SET DEFAULT nextval('public.booking_requests_id_seq'::regclass);

ALTER TABLE ONLY public.change_requests ALTER COLUMN id SET DEFAULT nextval('public.change_requests_id_seq'::regclass);

ALTER TABLE ONLY public.escalations ALTER COLUMN id SET DEFAULT nextval('public.escalations_id_seq'::regclass);

ALTER TABLE ONLY public.handoff_requests ALTER COLUMN id SET DEFAULT nextval('public.handoff_requests_id_seq'::regclass);

ALTER TABLE ONLY public.notifications ALTER COLUMN id SET DEFAULT nextval('public.notifications_id_seq'::regclass);

ALTER TABLE ONLY public.staff_audit ALTER COLUMN id SET DEFAULT nextval('public.staff_audit_id_seq'::regclass);

ALTER TABLE ONLY public.staff_conversations ALTER COLUMN id SET DEFAULT nextval('public.staff_conversations_id_seq'::regclass);

ALTER TABLE ONLY public.staff_users ALTER COLUMN id SET DEFAULT nextval('public.staff_users_id_seq'::regclass);

ALTER TABLE ONLY public.booking_requests
    ADD CONSTRAINT booking_requests_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.change_requests
    ADD CONSTRAINT change_requests_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.escalations
    ADD CONSTRAINT escalations_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.handoff_requests
    ADD CONSTRAINT handoff_requests_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notifications
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.staff_audit
    ADD CONSTRAINT staff_audit_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.staff_conversations
    ADD CONSTRAINT staff_conversations_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.staff_conversations
    ADD CONSTRAINT staff_conversations_sender_id_key UNIQUE (sender_id);

ALTER TABLE ONLY public.staff_index_state
    ADD CONSTRAINT staff_index_state_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.staff_login_failures
    ADD CONSTRAINT staff_login_failures_pkey PRIMARY KEY (key);

ALTER TABLE ONLY public.staff_sessions
    ADD CONSTRAINT staff_sessions_pkey PRIMARY KEY (token_hash);

ALTER TABLE ONLY public.staff_users
    ADD CONSTRAINT staff_users_name_key UNIQUE (name);

ALTER TABLE ONLY public.staff_users
    ADD CONSTRAINT staff_users_pkey PRIMARY KEY (id);

CREATE INDEX ix_booking_requests_created_at ON public.booking_requests USING btree (created_at);

CREATE INDEX ix_booking_requests_sender_id ON public.booking_requests USING btree (sender_id);

CREATE INDEX ix_booking_requests_status ON public.booking_requests USING btree (status);

CREATE INDEX ix_change_requests_created_at ON public.change_requests USING btree (created_at);

CREATE INDEX ix_change_requests_sender_id ON public.change_requests USING btree (sender_id);

CREATE INDEX ix_change_requests_status ON public.change_requests USING btree (status);

CREATE INDEX ix_escalations_created_at ON public.escalations USING btree (created_at);

CREATE INDEX ix_escalations_sender_id ON public.escalations USING btree (sender_id);

CREATE INDEX ix_handoff_requests_created_at ON public.handoff_requests USING btree (created_at);

CREATE INDEX ix_handoff_requests_sender_id ON public.handoff_requests USING btree (sender_id);

CREATE INDEX ix_handoff_requests_status ON public.handoff_requests USING btree (status);

CREATE INDEX ix_notifications_sender_id ON public.notifications USING btree (sender_id);

CREATE INDEX ix_notifications_status ON public.notifications USING btree (status);

CREATE INDEX ix_staff_audit_at ON public.staff_audit USING btree (at);

CREATE INDEX ix_staff_conversations_channel ON public.staff_conversations USING btree (channel);

CREATE INDEX ix_staff_conversations_last_at ON public.staff_conversations USING btree (last_at);

CREATE INDEX ix_staff_conversations_started ON public.staff_conversations USING btree (started_at);

CREATE INDEX ix_staff_search ON public.staff_conversations USING gin (to_tsvector('simple'::regconfig, search_text));

CREATE INDEX ix_staff_sessions_user_id ON public.staff_sessions USING btree (user_id);

CREATE TRIGGER staff_audit_append_only BEFORE DELETE OR UPDATE OR TRUNCATE ON public.staff_audit FOR EACH STATEMENT EXECUTE FUNCTION public.staff_audit_append_only();
