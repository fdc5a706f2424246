-- A state database written by dq 0.1.0's own code (tests/state_0_1_0.py run with PYTHONPATH at
-- `git archive ec013e3`); regenerate with `python tests/test_migrations.py --dump`.
BEGIN TRANSACTION;
CREATE TABLE approve_approvals (
	id INTEGER NOT NULL, 
	request_id INTEGER NOT NULL, 
	approver VARCHAR(200) NOT NULL, 
	role VARCHAR(8) NOT NULL, 
	decision VARCHAR(16) NOT NULL, 
	value_norm TEXT NOT NULL, 
	comment TEXT, 
	at VARCHAR(40) NOT NULL, 
	source VARCHAR(200) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(request_id) REFERENCES approve_requests (id)
);
INSERT INTO "approve_approvals" VALUES(1,1,'赵敏','L1','approved','700000','ok','2026-12-01T18:46:55.155905+00:00','cli');
INSERT INTO "approve_approvals" VALUES(2,1,'杨磊','L2','approved','700000',NULL,'2026-12-01T18:46:55.166312+00:00','cli');
INSERT INTO "approve_approvals" VALUES(3,2,'杨磊','L2','rejected','=1+1','no','2026-12-01T18:46:55.178049+00:00','cli');
CREATE TABLE approve_audit (
	seq INTEGER NOT NULL, 
	at VARCHAR(40) NOT NULL, 
	action VARCHAR(16) NOT NULL, 
	actor VARCHAR(200), 
	role VARCHAR(8), 
	request_id INTEGER, 
	entity VARCHAR(64), 
	"key" VARCHAR(200), 
	field VARCHAR(64), 
	old_value TEXT, 
	new_value TEXT, 
	comment TEXT, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (seq)
);
INSERT INTO "approve_audit" VALUES(1,'2026-12-01T18:46:55.126613+00:00','request','李娜',NULL,1,'customer','C000001','credit_limit','100000','700000','change, tier 2','0000000000000000000000000000000000000000000000000000000000000000','a226a94a2bae88319b21388c34d824af4aa764212dac29e9e3a156d6ab72a3e8');
INSERT INTO "approve_audit" VALUES(2,'2026-12-01T18:46:55.126613+00:00','request','李娜',NULL,2,'customer','C000002','bank_account','6222','=1+1','change, tier 2','a226a94a2bae88319b21388c34d824af4aa764212dac29e9e3a156d6ab72a3e8','1b196d4ca7119a2428b13656bc3afec6fcde73f7bcdb695f89a2a648b7a2c29c');
INSERT INTO "approve_audit" VALUES(3,'2026-12-01T18:46:55.161208+00:00','approve','赵敏','L1',1,'customer','C000001','credit_limit','100000','700000','ok','1b196d4ca7119a2428b13656bc3afec6fcde73f7bcdb695f89a2a648b7a2c29c','2c3ef815b39e8067bb4f11e742337c427f2dd6e7ccc5cc99423a6f02d2e7b1e2');
INSERT INTO "approve_audit" VALUES(4,'2026-12-01T18:46:55.167015+00:00','approve','杨磊','L2',1,'customer','C000001','credit_limit','100000','700000',NULL,'2c3ef815b39e8067bb4f11e742337c427f2dd6e7ccc5cc99423a6f02d2e7b1e2','e599c0715c0c0498608f97387290deb2d151e4f9164c3453f7a0d4d1ff4538d9');
INSERT INTO "approve_audit" VALUES(5,'2026-12-01T18:46:55.178944+00:00','reject','杨磊','L2',2,'customer','C000002','bank_account','6222','=1+1','no','e599c0715c0c0498608f97387290deb2d151e4f9164c3453f7a0d4d1ff4538d9','78d120ac7ab740a72da56149c7b309ef48ba6f56d3046b6118ec7994c0d78503');
CREATE TABLE approve_audit_head (
	id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "approve_audit_head" VALUES(1,5,'78d120ac7ab740a72da56149c7b309ef48ba6f56d3046b6118ec7994c0d78503');
CREATE TABLE approve_requests (
	id INTEGER NOT NULL, 
	submission_id INTEGER NOT NULL, 
	entity VARCHAR(64) NOT NULL, 
	"key" VARCHAR(200) NOT NULL, 
	field VARCHAR(64) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	old_value TEXT, 
	new_value TEXT, 
	old_norm TEXT NOT NULL, 
	new_norm TEXT NOT NULL, 
	tier INTEGER NOT NULL, 
	requested_by VARCHAR(200), 
	status VARCHAR(16) NOT NULL, 
	created_at VARCHAR(40) NOT NULL, 
	updated_at VARCHAR(40) NOT NULL, 
	version INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(submission_id) REFERENCES approve_submissions (id)
);
INSERT INTO "approve_requests" VALUES(1,1,'customer','C000001','credit_limit','change','100000','700000','100000','700000',2,'李娜','approved','2026-12-01T18:46:55.126613+00:00','2026-12-01T18:46:55.166312+00:00',1);
INSERT INTO "approve_requests" VALUES(2,1,'customer','C000002','bank_account','change','6222','=1+1','6222','=1+1',2,'李娜','rejected','2026-12-01T18:46:55.126613+00:00','2026-12-01T18:46:55.178049+00:00',1);
CREATE TABLE approve_submissions (
	id INTEGER NOT NULL, 
	at VARCHAR(40) NOT NULL, 
	"by" VARCHAR(200), 
	incoming_path TEXT NOT NULL, 
	incoming_sha256 VARCHAR(64) NOT NULL, 
	baseline_path TEXT NOT NULL, 
	baseline_sha256 VARCHAR(64) NOT NULL, 
	entities VARCHAR(200) NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "approve_submissions" VALUES(1,'2026-12-01T18:46:55.126613+00:00','李娜','in.xlsx','0000000000000000000000000000000000000000000000000000000000000000','base.xlsx','1111111111111111111111111111111111111111111111111111111111111111','customer');
CREATE TABLE schema_migrations (
	component VARCHAR(64) NOT NULL, 
	version INTEGER NOT NULL, 
	applied_at DATETIME NOT NULL, 
	PRIMARY KEY (component, version)
);
INSERT INTO "schema_migrations" VALUES('approve',1,'2026-12-01 18:46:55.103072');
INSERT INTO "schema_migrations" VALUES('approve',2,'2026-12-01 18:46:55.104155');
INSERT INTO "schema_migrations" VALUES('track',1,'2026-12-01 18:46:55.117480');
CREATE TABLE track_events (
	id INTEGER NOT NULL, 
	number INTEGER NOT NULL, 
	run_id INTEGER NOT NULL, 
	at VARCHAR(40) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	department VARCHAR(128), 
	file TEXT, 
	sheet TEXT, 
	"row" INTEGER, 
	value TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(number) REFERENCES track_issues (number), 
	FOREIGN KEY(run_id) REFERENCES track_runs (id)
);
INSERT INTO "track_events" VALUES(1,1,1,'2026-11-02T09:00:00+08:00','new','error','销售部','customers.xlsx','Sheet1',2,'');
INSERT INTO "track_events" VALUES(2,2,1,'2026-11-02T09:00:00+08:00','new','warning',NULL,'customers.xlsx','Sheet1',3,'123');
INSERT INTO "track_events" VALUES(3,3,1,'2026-11-02T09:00:00+08:00','new','info',NULL,'products.xlsx','Sheet1',5,'箱');
INSERT INTO "track_events" VALUES(4,1,2,'2026-11-03T09:00:00+08:00','open','error','销售部','customers.xlsx','Sheet1',2,'');
INSERT INTO "track_events" VALUES(5,2,2,'2026-11-03T09:00:00+08:00','open','warning',NULL,'customers.xlsx','Sheet1',3,'123');
INSERT INTO "track_events" VALUES(6,3,2,'2026-11-03T09:00:00+08:00','resolved','info',NULL,'products.xlsx','Sheet1',5,'箱');
CREATE TABLE track_issues (
	number INTEGER NOT NULL, 
	fingerprint VARCHAR(64) NOT NULL, 
	rule VARCHAR(32) NOT NULL, 
	entity VARCHAR(64), 
	"key" TEXT, 
	field VARCHAR(128), 
	severity VARCHAR(16) NOT NULL, 
	department VARCHAR(128), 
	status VARCHAR(16) NOT NULL, 
	first_seen VARCHAR(40) NOT NULL, 
	last_seen VARCHAR(40) NOT NULL, 
	opened_at VARCHAR(40) NOT NULL, 
	resolved_at VARCHAR(40), 
	times_seen INTEGER NOT NULL, 
	times_reopened INTEGER NOT NULL, 
	first_run INTEGER NOT NULL, 
	last_run INTEGER NOT NULL, 
	file TEXT, 
	sheet TEXT, 
	"row" INTEGER, 
	value TEXT, 
	message_params TEXT, 
	PRIMARY KEY (number), 
	UNIQUE (fingerprint), 
	FOREIGN KEY(first_run) REFERENCES track_runs (id), 
	FOREIGN KEY(last_run) REFERENCES track_runs (id)
);
INSERT INTO "track_issues" VALUES(1,'b5f73cfa71ed5a30','CUS001','customer','C000001','name','error','销售部','open','2026-11-02T09:00:00+08:00','2026-11-03T09:00:00+08:00','2026-11-02T09:00:00+08:00',NULL,2,0,1,2,'customers.xlsx','Sheet1',2,'','{"field": "name"}');
INSERT INTO "track_issues" VALUES(2,'4221c654ab8b39aa','CUS002','customer','C000002','phone','warning',NULL,'open','2026-11-02T09:00:00+08:00','2026-11-03T09:00:00+08:00','2026-11-02T09:00:00+08:00',NULL,2,0,1,2,'customers.xlsx','Sheet1',3,'123','{}');
INSERT INTO "track_issues" VALUES(3,'b6b451523c0793c8','PRD001','product','P01','unit','info',NULL,'resolved','2026-11-02T09:00:00+08:00','2026-11-02T09:00:00+08:00','2026-11-02T09:00:00+08:00','2026-11-03T09:00:00+08:00',1,0,1,2,'products.xlsx','Sheet1',5,'箱','{}');
CREATE TABLE track_locks (
	name VARCHAR(64) NOT NULL, 
	holder VARCHAR(64) NOT NULL, 
	host VARCHAR(255) NOT NULL, 
	pid INTEGER NOT NULL, 
	acquired_at VARCHAR(40) NOT NULL, 
	PRIMARY KEY (name)
);
CREATE TABLE track_run_counts (
	run_id INTEGER NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	department VARCHAR(128) NOT NULL, 
	issues INTEGER NOT NULL, 
	PRIMARY KEY (run_id, severity, department), 
	FOREIGN KEY(run_id) REFERENCES track_runs (id)
);
INSERT INTO "track_run_counts" VALUES(1,'error','销售部',1);
INSERT INTO "track_run_counts" VALUES(1,'info','-',1);
INSERT INTO "track_run_counts" VALUES(1,'warning','-',1);
INSERT INTO "track_run_counts" VALUES(2,'error','销售部',1);
INSERT INTO "track_run_counts" VALUES(2,'warning','-',1);
CREATE TABLE track_runs (
	id INTEGER NOT NULL, 
	started_at VARCHAR(40) NOT NULL, 
	day VARCHAR(10) NOT NULL, 
	finished_at VARCHAR(40), 
	status VARCHAR(16) NOT NULL, 
	project TEXT, 
	files TEXT, 
	digest VARCHAR(64) NOT NULL, 
	rerun_of INTEGER, 
	report_dir TEXT, 
	fail_on VARCHAR(16), 
	exit_code INTEGER, 
	errors INTEGER NOT NULL, 
	warnings INTEGER NOT NULL, 
	infos INTEGER NOT NULL, 
	new INTEGER NOT NULL, 
	reopened INTEGER NOT NULL, 
	resolved INTEGER NOT NULL, 
	overdue INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "track_runs" VALUES(1,'2026-11-02T09:00:00+08:00','2026-11-02','2026-11-02T09:00:00+08:00','done','demo','["customers.xlsx"]','d6e585bc3574d7f5788629eb6cba6ffbdf7ec0e17351a86130c10f87712a8096',NULL,'reports/1','error',1,1,1,1,3,0,0,0);
INSERT INTO "track_runs" VALUES(2,'2026-11-03T09:00:00+08:00','2026-11-03','2026-11-03T09:00:00+08:00','done','demo','["customers.xlsx"]','96516b442f64837ba61eee7a4dea8fbd0b2adc1543fc858c43f90bdfa45d56b9',NULL,'reports/2','error',1,1,1,0,0,0,1,0);
CREATE INDEX ix_approve_requests_ident ON approve_requests (entity, "key", field);
CREATE INDEX ix_approve_requests_status ON approve_requests (status);
CREATE INDEX ix_approve_approvals_request ON approve_approvals (request_id);
CREATE TRIGGER approve_audit_no_update BEFORE UPDATE ON approve_audit BEGIN SELECT RAISE(ABORT, 'approve_audit is append-only'); END;
CREATE TRIGGER approve_audit_no_delete BEFORE DELETE ON approve_audit BEGIN SELECT RAISE(ABORT, 'approve_audit is append-only'); END;
CREATE INDEX ix_track_issues_department ON track_issues (department);
CREATE INDEX ix_track_issues_status ON track_issues (status);
CREATE INDEX ix_track_events_number ON track_events (number);
CREATE INDEX ix_track_events_run ON track_events (run_id);
COMMIT;
