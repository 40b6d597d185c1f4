-- The schema the code made with metadata.create_all before migrations (SQLite), as sqlite_master
-- held it: what tests/test_migrations.py recognises, stamps and upgrades.

CREATE TABLE escalations (
	id INTEGER NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	flags TEXT NOT NULL, 
	message TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	acknowledged_at DATETIME, 
	acknowledged_by VARCHAR(255), 
	PRIMARY KEY (id)
);

CREATE INDEX ix_escalations_sender_id ON escalations (sender_id);

CREATE INDEX ix_escalations_created_at ON escalations (created_at);

CREATE TABLE notifications (
	id INTEGER NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	ref_id INTEGER, 
	sender_id VARCHAR(255) NOT NULL, 
	target VARCHAR(255) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	last_error TEXT, 
	created_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_notifications_status ON notifications (status);

CREATE INDEX ix_notifications_sender_id ON notifications (sender_id);

CREATE TABLE booking_requests (
	id INTEGER NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	patient_name VARCHAR(255) NOT NULL, 
	contact VARCHAR(255) NOT NULL, 
	contact_kind VARCHAR(16) NOT NULL, 
	preferred VARCHAR(64) NOT NULL, 
	preferred_text TEXT NOT NULL, 
	patient_type VARCHAR(16) NOT NULL, 
	reason TEXT NOT NULL, 
	red_flag VARCHAR(16), 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_booking_requests_sender_id ON booking_requests (sender_id);

CREATE INDEX ix_booking_requests_created_at ON booking_requests (created_at);

CREATE INDEX ix_booking_requests_status ON booking_requests (status);

CREATE TABLE change_requests (
	id INTEGER NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	patient_name VARCHAR(255) NOT NULL, 
	contact VARCHAR(255) NOT NULL, 
	details TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_change_requests_status ON change_requests (status);

CREATE INDEX ix_change_requests_sender_id ON change_requests (sender_id);

CREATE INDEX ix_change_requests_created_at ON change_requests (created_at);

CREATE TABLE handoff_requests (
	id INTEGER NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	channel VARCHAR(64), 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_handoff_requests_status ON handoff_requests (status);

CREATE INDEX ix_handoff_requests_sender_id ON handoff_requests (sender_id);

CREATE INDEX ix_handoff_requests_created_at ON handoff_requests (created_at);

CREATE TABLE staff_users (
	id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	password_hash VARCHAR(255) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	created_at FLOAT NOT NULL, 
	last_login_at FLOAT, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);

CREATE TABLE staff_sessions (
	token_hash VARCHAR(64) NOT NULL, 
	user_id INTEGER NOT NULL, 
	csrf VARCHAR(64) NOT NULL, 
	created_at FLOAT NOT NULL, 
	last_seen_at FLOAT NOT NULL, 
	PRIMARY KEY (token_hash)
);

CREATE INDEX ix_staff_sessions_user_id ON staff_sessions (user_id);

CREATE TABLE staff_login_failures (
	"key" VARCHAR(255) NOT NULL, 
	failures INTEGER NOT NULL, 
	first_at FLOAT NOT NULL, 
	locked_until FLOAT, 
	PRIMARY KEY ("key")
);

CREATE TABLE staff_audit (
	id INTEGER NOT NULL, 
	at FLOAT NOT NULL, 
	actor VARCHAR(64) NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	target VARCHAR(255), 
	detail TEXT, 
	ip VARCHAR(64), 
	PRIMARY KEY (id)
);

CREATE INDEX ix_staff_audit_at ON staff_audit (at);

CREATE TRIGGER staff_audit_no_update BEFORE UPDATE ON staff_audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TRIGGER staff_audit_no_delete BEFORE DELETE ON staff_audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE staff_conversations (
	id INTEGER NOT NULL, 
	sender_id VARCHAR(255) NOT NULL, 
	channel VARCHAR(64), 
	started_at FLOAT NOT NULL, 
	last_at FLOAT NOT NULL, 
	n_user INTEGER NOT NULL, 
	n_fallback INTEGER NOT NULL, 
	n_low INTEGER NOT NULL, 
	topics TEXT NOT NULL, 
	severity VARCHAR(16), 
	has_booking BOOLEAN NOT NULL, 
	has_handoff BOOLEAN NOT NULL, 
	paused BOOLEAN NOT NULL, 
	preview TEXT NOT NULL, 
	search_text TEXT NOT NULL, 
	tags TEXT DEFAULT '' NOT NULL, 
	note TEXT DEFAULT '' NOT NULL, 
	reviewed_by VARCHAR(64), 
	reviewed_at FLOAT, 
	PRIMARY KEY (id), 
	UNIQUE (sender_id)
);

CREATE INDEX ix_staff_conversations_last_at ON staff_conversations (last_at);

CREATE INDEX ix_staff_conversations_started ON staff_conversations (started_at);

CREATE INDEX ix_staff_conversations_channel ON staff_conversations (channel);

CREATE VIRTUAL TABLE staff_search USING fts5(search_text, content='staff_conversations', content_rowid='id');

CREATE TRIGGER staff_search_ai AFTER INSERT ON staff_conversations BEGIN INSERT INTO staff_search(rowid, search_text) VALUES (new.id, new.search_text); END;

CREATE TRIGGER staff_search_ad AFTER DELETE ON staff_conversations BEGIN INSERT INTO staff_search(staff_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END;

CREATE TRIGGER staff_search_au AFTER UPDATE OF search_text ON staff_conversations BEGIN INSERT INTO staff_search(staff_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); INSERT INTO staff_search(rowid, search_text) VALUES (new.id, new.search_text); END;

CREATE TABLE staff_index_state (
	name VARCHAR(64) NOT NULL, 
	last_id INTEGER NOT NULL, 
	PRIMARY KEY (name)
);
