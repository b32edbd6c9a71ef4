"""The initial schema.

The DDL is frozen here as it was generated from the models at this version, so
later model changes never alter what this migration does; they get migrations of
their own. Also: the lead search index (FTS5 on SQLite, a tsvector with a GIN
index on PostgreSQL).
"""

SQLITE = [
    'CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, "username" VARCHAR(64) NOT NULL, '
    '"full_name" VARCHAR(200) NOT NULL, "role" VARCHAR(32) NOT NULL, "active" INTEGER NOT NULL, '
    '"created_at" DATETIME NOT NULL)',
    'CREATE UNIQUE INDEX "user_username" ON "user" ("username")',
    'CREATE TABLE "account" ("id" INTEGER NOT NULL PRIMARY KEY, "street1" VARCHAR(250) NOT NULL, '
    '"street2" VARCHAR(250) NOT NULL, "street3" VARCHAR(250) NOT NULL, "city" VARCHAR(80) NOT '
    'NULL, "state_province" VARCHAR(80) NOT NULL, "postal_code" VARCHAR(20) NOT NULL, "country" '
    'VARCHAR(80) NOT NULL, "name" VARCHAR(160) NOT NULL, "website" VARCHAR(200) NOT NULL, "phone" '
    'VARCHAR(50) NOT NULL, "owner_id" INTEGER, "created_at" DATETIME NOT NULL, "modified_at" '
    'DATETIME NOT NULL, "name_key" VARCHAR(160), "domain_key" VARCHAR(200), "phone_key" '
    'VARCHAR(32), FOREIGN KEY ("owner_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "account_owner_id" ON "account" ("owner_id")',
    'CREATE INDEX "account_name_key" ON "account" ("name_key")',
    'CREATE INDEX "account_domain_key" ON "account" ("domain_key")',
    'CREATE INDEX "account_phone_key" ON "account" ("phone_key")',
    'CREATE TABLE "audit_event" ("id" INTEGER NOT NULL PRIMARY KEY, "at" DATETIME NOT NULL, '
    '"actor_id" INTEGER, "action" VARCHAR(48) NOT NULL, "entity_type" VARCHAR(32) NOT NULL, '
    '"entity_id" INTEGER, "summary" TEXT NOT NULL, FOREIGN KEY ("actor_id") REFERENCES "user" '
    '("id") ON DELETE SET NULL)',
    'CREATE INDEX "audit_event_actor_id" ON "audit_event" ("actor_id")',
    'CREATE INDEX "audit_event_entity_type_entity_id" ON "audit_event" ("entity_type", '
    '"entity_id")',
    'CREATE TABLE "contact" ("id" INTEGER NOT NULL PRIMARY KEY, "street1" VARCHAR(250) NOT NULL, '
    '"street2" VARCHAR(250) NOT NULL, "street3" VARCHAR(250) NOT NULL, "city" VARCHAR(80) NOT '
    'NULL, "state_province" VARCHAR(80) NOT NULL, "postal_code" VARCHAR(20) NOT NULL, "country" '
    'VARCHAR(80) NOT NULL, "first_name" VARCHAR(50) NOT NULL, "last_name" VARCHAR(50) NOT NULL, '
    '"job_title" VARCHAR(100) NOT NULL, "phone" VARCHAR(50) NOT NULL, "mobile_phone" VARCHAR(50) '
    'NOT NULL, "email" VARCHAR(254) NOT NULL, "account_id" INTEGER, "owner_id" INTEGER, '
    '"created_at" DATETIME NOT NULL, "modified_at" DATETIME NOT NULL, "email_key" VARCHAR(254), '
    '"phone_key" VARCHAR(32), "person_key" VARCHAR(101), FOREIGN KEY ("account_id") REFERENCES '
    '"account" ("id") ON DELETE SET NULL, FOREIGN KEY ("owner_id") REFERENCES "user" ("id") ON '
    "DELETE SET NULL)",
    'CREATE INDEX "contact_account_id" ON "contact" ("account_id")',
    'CREATE INDEX "contact_owner_id" ON "contact" ("owner_id")',
    'CREATE INDEX "contact_email_key" ON "contact" ("email_key")',
    'CREATE INDEX "contact_phone_key" ON "contact" ("phone_key")',
    'CREATE INDEX "contact_person_key" ON "contact" ("person_key")',
    'CREATE TABLE "lead" ("id" INTEGER NOT NULL PRIMARY KEY, "street1" VARCHAR(250) NOT NULL, '
    '"street2" VARCHAR(250) NOT NULL, "street3" VARCHAR(250) NOT NULL, "city" VARCHAR(80) NOT '
    'NULL, "state_province" VARCHAR(80) NOT NULL, "postal_code" VARCHAR(20) NOT NULL, "country" '
    'VARCHAR(80) NOT NULL, "topic" VARCHAR(300) NOT NULL, "first_name" VARCHAR(50) NOT NULL, '
    '"last_name" VARCHAR(50) NOT NULL, "job_title" VARCHAR(100) NOT NULL, "business_phone" '
    'VARCHAR(50) NOT NULL, "mobile_phone" VARCHAR(50) NOT NULL, "email" VARCHAR(254) NOT NULL, '
    '"company" VARCHAR(160) NOT NULL, "website" VARCHAR(200) NOT NULL, "rating" VARCHAR(16) NOT '
    'NULL, "lead_source" VARCHAR(32), "owner_id" INTEGER, "created_at" DATETIME NOT NULL, '
    '"modified_at" DATETIME NOT NULL, "existing_account_id" INTEGER, "existing_contact_id" '
    'INTEGER, "purchase_timeframe" VARCHAR(16), "estimated_budget" DECIMAL(15, 2), '
    '"purchase_process" VARCHAR(16), "decision_maker_identified" INTEGER NOT NULL, "summary" TEXT '
    'NOT NULL, "state" VARCHAR(16) NOT NULL, "status_reason" VARCHAR(32) NOT NULL, "stage" '
    'VARCHAR(16) NOT NULL, "closed_by_id" INTEGER, "closed_at" DATETIME, "account_id" INTEGER, '
    '"contact_id" INTEGER, "email_key" VARCHAR(254), "company_key" VARCHAR(160), "domain_key" '
    'VARCHAR(200), "phone_key" VARCHAR(32), "person_key" VARCHAR(101), FOREIGN KEY ("owner_id") '
    'REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY ("existing_account_id") REFERENCES '
    '"account" ("id") ON DELETE SET NULL, FOREIGN KEY ("existing_contact_id") REFERENCES '
    '"contact" ("id") ON DELETE SET NULL, FOREIGN KEY ("closed_by_id") REFERENCES "user" ("id") '
    'ON DELETE SET NULL, FOREIGN KEY ("account_id") REFERENCES "account" ("id") ON DELETE SET '
    'NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "lead_owner_id" ON "lead" ("owner_id")',
    'CREATE INDEX "lead_created_at" ON "lead" ("created_at")',
    'CREATE INDEX "lead_existing_account_id" ON "lead" ("existing_account_id")',
    'CREATE INDEX "lead_existing_contact_id" ON "lead" ("existing_contact_id")',
    'CREATE INDEX "lead_state" ON "lead" ("state")',
    'CREATE INDEX "lead_closed_by_id" ON "lead" ("closed_by_id")',
    'CREATE INDEX "lead_account_id" ON "lead" ("account_id")',
    'CREATE INDEX "lead_contact_id" ON "lead" ("contact_id")',
    'CREATE INDEX "lead_email_key" ON "lead" ("email_key")',
    'CREATE INDEX "lead_company_key" ON "lead" ("company_key")',
    'CREATE INDEX "lead_domain_key" ON "lead" ("domain_key")',
    'CREATE INDEX "lead_phone_key" ON "lead" ("phone_key")',
    'CREATE INDEX "lead_person_key" ON "lead" ("person_key")',
    'CREATE INDEX "lead_owner_id_state" ON "lead" ("owner_id", "state")',
    'CREATE INDEX "lead_last_name_first_name" ON "lead" ("last_name", "first_name")',
    'CREATE INDEX "lead_company" ON "lead" ("company")',
    'CREATE INDEX "lead_topic" ON "lead" ("topic")',
    'CREATE TABLE "opportunity" ("id" INTEGER NOT NULL PRIMARY KEY, "topic" VARCHAR(300) NOT '
    'NULL, "account_id" INTEGER, "contact_id" INTEGER, "estimated_value" DECIMAL(15, 2), "stage" '
    'VARCHAR(16) NOT NULL, "originating_lead_id" INTEGER, "owner_id" INTEGER, "created_at" '
    'DATETIME NOT NULL, "modified_at" DATETIME NOT NULL, FOREIGN KEY ("account_id") REFERENCES '
    '"account" ("id") ON DELETE SET NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") '
    'ON DELETE SET NULL, FOREIGN KEY ("originating_lead_id") REFERENCES "lead" ("id") ON DELETE '
    'SET NULL, FOREIGN KEY ("owner_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "opportunity_account_id" ON "opportunity" ("account_id")',
    'CREATE INDEX "opportunity_contact_id" ON "opportunity" ("contact_id")',
    'CREATE INDEX "opportunity_originating_lead_id" ON "opportunity" ("originating_lead_id")',
    'CREATE INDEX "opportunity_owner_id" ON "opportunity" ("owner_id")',
    'CREATE TABLE "note" ("id" INTEGER NOT NULL PRIMARY KEY, "text" TEXT NOT NULL, '
    '"attachment_name" VARCHAR(255), "attachment_data" BLOB, "author_id" INTEGER, "created_at" '
    'DATETIME NOT NULL, "lead_id" INTEGER, "account_id" INTEGER, "contact_id" INTEGER, '
    '"opportunity_id" INTEGER, FOREIGN KEY ("author_id") REFERENCES "user" ("id") ON DELETE SET '
    'NULL, FOREIGN KEY ("lead_id") REFERENCES "lead" ("id") ON DELETE CASCADE, FOREIGN KEY '
    '("account_id") REFERENCES "account" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") '
    'REFERENCES "contact" ("id") ON DELETE CASCADE, FOREIGN KEY ("opportunity_id") REFERENCES '
    '"opportunity" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "note_author_id" ON "note" ("author_id")',
    'CREATE INDEX "note_created_at" ON "note" ("created_at")',
    'CREATE INDEX "note_lead_id" ON "note" ("lead_id")',
    'CREATE INDEX "note_account_id" ON "note" ("account_id")',
    'CREATE INDEX "note_contact_id" ON "note" ("contact_id")',
    'CREATE INDEX "note_opportunity_id" ON "note" ("opportunity_id")',
    'CREATE TABLE "setting" ("key" VARCHAR(64) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL, '
    '"modified_at" DATETIME NOT NULL, "modified_by_id" INTEGER, FOREIGN KEY ("modified_by_id") '
    'REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "setting_modified_by_id" ON "setting" ("modified_by_id")',
    'CREATE TABLE "user_key" ("id" INTEGER NOT NULL PRIMARY KEY, "user_id" INTEGER NOT NULL, '
    '"public_key" TEXT NOT NULL, "fingerprint" VARCHAR(128) NOT NULL, "added_at" DATETIME NOT '
    'NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "user_key_user_id" ON "user_key" ("user_id")',
    'CREATE INDEX "user_key_fingerprint" ON "user_key" ("fingerprint")',
]

SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE lead_fts USING fts5(
        topic, first_name, last_name, company, email,
        content='lead', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER lead_fts_insert AFTER INSERT ON lead BEGIN
        INSERT INTO lead_fts(rowid, topic, first_name, last_name, company, email)
        VALUES (new.id, new.topic, new.first_name, new.last_name, new.company, new.email);
    END""",
    """CREATE TRIGGER lead_fts_delete AFTER DELETE ON lead BEGIN
        INSERT INTO lead_fts(lead_fts, rowid, topic, first_name, last_name, company, email)
        VALUES ('delete', old.id, old.topic, old.first_name, old.last_name, old.company, old.email);
    END""",
    """CREATE TRIGGER lead_fts_update AFTER UPDATE OF topic, first_name, last_name, company, email
    ON lead BEGIN
        INSERT INTO lead_fts(lead_fts, rowid, topic, first_name, last_name, company, email)
        VALUES ('delete', old.id, old.topic, old.first_name, old.last_name, old.company, old.email);
        INSERT INTO lead_fts(rowid, topic, first_name, last_name, company, email)
        VALUES (new.id, new.topic, new.first_name, new.last_name, new.company, new.email);
    END""",
]

POSTGRES = [
    'CREATE TABLE "user" ("id" SERIAL NOT NULL PRIMARY KEY, "username" VARCHAR(64) NOT NULL, '
    '"full_name" VARCHAR(200) NOT NULL, "role" VARCHAR(32) NOT NULL, "active" BOOLEAN NOT NULL, '
    '"created_at" TIMESTAMP NOT NULL)',
    'CREATE UNIQUE INDEX "user_username" ON "user" ("username")',
    'CREATE TABLE "account" ("id" SERIAL NOT NULL PRIMARY KEY, "street1" VARCHAR(250) NOT NULL, '
    '"street2" VARCHAR(250) NOT NULL, "street3" VARCHAR(250) NOT NULL, "city" VARCHAR(80) NOT '
    'NULL, "state_province" VARCHAR(80) NOT NULL, "postal_code" VARCHAR(20) NOT NULL, "country" '
    'VARCHAR(80) NOT NULL, "name" VARCHAR(160) NOT NULL, "website" VARCHAR(200) NOT NULL, "phone" '
    'VARCHAR(50) NOT NULL, "owner_id" INTEGER, "created_at" TIMESTAMP NOT NULL, "modified_at" '
    'TIMESTAMP NOT NULL, "name_key" VARCHAR(160), "domain_key" VARCHAR(200), "phone_key" '
    'VARCHAR(32), FOREIGN KEY ("owner_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "account_owner_id" ON "account" ("owner_id")',
    'CREATE INDEX "account_name_key" ON "account" ("name_key")',
    'CREATE INDEX "account_domain_key" ON "account" ("domain_key")',
    'CREATE INDEX "account_phone_key" ON "account" ("phone_key")',
    'CREATE TABLE "audit_event" ("id" SERIAL NOT NULL PRIMARY KEY, "at" TIMESTAMP NOT NULL, '
    '"actor_id" INTEGER, "action" VARCHAR(48) NOT NULL, "entity_type" VARCHAR(32) NOT NULL, '
    '"entity_id" INTEGER, "summary" TEXT NOT NULL, FOREIGN KEY ("actor_id") REFERENCES "user" '
    '("id") ON DELETE SET NULL)',
    'CREATE INDEX "audit_event_actor_id" ON "audit_event" ("actor_id")',
    'CREATE INDEX "audit_event_entity_type_entity_id" ON "audit_event" ("entity_type", '
    '"entity_id")',
    'CREATE TABLE "contact" ("id" SERIAL NOT NULL PRIMARY KEY, "street1" VARCHAR(250) NOT NULL, '
    '"street2" VARCHAR(250) NOT NULL, "street3" VARCHAR(250) NOT NULL, "city" VARCHAR(80) NOT '
    'NULL, "state_province" VARCHAR(80) NOT NULL, "postal_code" VARCHAR(20) NOT NULL, "country" '
    'VARCHAR(80) NOT NULL, "first_name" VARCHAR(50) NOT NULL, "last_name" VARCHAR(50) NOT NULL, '
    '"job_title" VARCHAR(100) NOT NULL, "phone" VARCHAR(50) NOT NULL, "mobile_phone" VARCHAR(50) '
    'NOT NULL, "email" VARCHAR(254) NOT NULL, "account_id" INTEGER, "owner_id" INTEGER, '
    '"created_at" TIMESTAMP NOT NULL, "modified_at" TIMESTAMP NOT NULL, "email_key" VARCHAR(254), '
    '"phone_key" VARCHAR(32), "person_key" VARCHAR(101), FOREIGN KEY ("account_id") REFERENCES '
    '"account" ("id") ON DELETE SET NULL, FOREIGN KEY ("owner_id") REFERENCES "user" ("id") ON '
    "DELETE SET NULL)",
    'CREATE INDEX "contact_account_id" ON "contact" ("account_id")',
    'CREATE INDEX "contact_owner_id" ON "contact" ("owner_id")',
    'CREATE INDEX "contact_email_key" ON "contact" ("email_key")',
    'CREATE INDEX "contact_phone_key" ON "contact" ("phone_key")',
    'CREATE INDEX "contact_person_key" ON "contact" ("person_key")',
    'CREATE TABLE "lead" ("id" SERIAL NOT NULL PRIMARY KEY, "street1" VARCHAR(250) NOT NULL, '
    '"street2" VARCHAR(250) NOT NULL, "street3" VARCHAR(250) NOT NULL, "city" VARCHAR(80) NOT '
    'NULL, "state_province" VARCHAR(80) NOT NULL, "postal_code" VARCHAR(20) NOT NULL, "country" '
    'VARCHAR(80) NOT NULL, "topic" VARCHAR(300) NOT NULL, "first_name" VARCHAR(50) NOT NULL, '
    '"last_name" VARCHAR(50) NOT NULL, "job_title" VARCHAR(100) NOT NULL, "business_phone" '
    'VARCHAR(50) NOT NULL, "mobile_phone" VARCHAR(50) NOT NULL, "email" VARCHAR(254) NOT NULL, '
    '"company" VARCHAR(160) NOT NULL, "website" VARCHAR(200) NOT NULL, "rating" VARCHAR(16) NOT '
    'NULL, "lead_source" VARCHAR(32), "owner_id" INTEGER, "created_at" TIMESTAMP NOT NULL, '
    '"modified_at" TIMESTAMP NOT NULL, "existing_account_id" INTEGER, "existing_contact_id" '
    'INTEGER, "purchase_timeframe" VARCHAR(16), "estimated_budget" NUMERIC(15, 2), '
    '"purchase_process" VARCHAR(16), "decision_maker_identified" BOOLEAN NOT NULL, "summary" TEXT '
    'NOT NULL, "state" VARCHAR(16) NOT NULL, "status_reason" VARCHAR(32) NOT NULL, "stage" '
    'VARCHAR(16) NOT NULL, "closed_by_id" INTEGER, "closed_at" TIMESTAMP, "account_id" INTEGER, '
    '"contact_id" INTEGER, "email_key" VARCHAR(254), "company_key" VARCHAR(160), "domain_key" '
    'VARCHAR(200), "phone_key" VARCHAR(32), "person_key" VARCHAR(101), FOREIGN KEY ("owner_id") '
    'REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY ("existing_account_id") REFERENCES '
    '"account" ("id") ON DELETE SET NULL, FOREIGN KEY ("existing_contact_id") REFERENCES '
    '"contact" ("id") ON DELETE SET NULL, FOREIGN KEY ("closed_by_id") REFERENCES "user" ("id") '
    'ON DELETE SET NULL, FOREIGN KEY ("account_id") REFERENCES "account" ("id") ON DELETE SET '
    'NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "lead_owner_id" ON "lead" ("owner_id")',
    'CREATE INDEX "lead_created_at" ON "lead" ("created_at")',
    'CREATE INDEX "lead_existing_account_id" ON "lead" ("existing_account_id")',
    'CREATE INDEX "lead_existing_contact_id" ON "lead" ("existing_contact_id")',
    'CREATE INDEX "lead_state" ON "lead" ("state")',
    'CREATE INDEX "lead_closed_by_id" ON "lead" ("closed_by_id")',
    'CREATE INDEX "lead_account_id" ON "lead" ("account_id")',
    'CREATE INDEX "lead_contact_id" ON "lead" ("contact_id")',
    'CREATE INDEX "lead_email_key" ON "lead" ("email_key")',
    'CREATE INDEX "lead_company_key" ON "lead" ("company_key")',
    'CREATE INDEX "lead_domain_key" ON "lead" ("domain_key")',
    'CREATE INDEX "lead_phone_key" ON "lead" ("phone_key")',
    'CREATE INDEX "lead_person_key" ON "lead" ("person_key")',
    'CREATE INDEX "lead_owner_id_state" ON "lead" ("owner_id", "state")',
    'CREATE INDEX "lead_last_name_first_name" ON "lead" ("last_name", "first_name")',
    'CREATE INDEX "lead_company" ON "lead" ("company")',
    'CREATE INDEX "lead_topic" ON "lead" ("topic")',
    'CREATE TABLE "opportunity" ("id" SERIAL NOT NULL PRIMARY KEY, "topic" VARCHAR(300) NOT NULL, '
    '"account_id" INTEGER, "contact_id" INTEGER, "estimated_value" NUMERIC(15, 2), "stage" '
    'VARCHAR(16) NOT NULL, "originating_lead_id" INTEGER, "owner_id" INTEGER, "created_at" '
    'TIMESTAMP NOT NULL, "modified_at" TIMESTAMP NOT NULL, FOREIGN KEY ("account_id") REFERENCES '
    '"account" ("id") ON DELETE SET NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") '
    'ON DELETE SET NULL, FOREIGN KEY ("originating_lead_id") REFERENCES "lead" ("id") ON DELETE '
    'SET NULL, FOREIGN KEY ("owner_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "opportunity_account_id" ON "opportunity" ("account_id")',
    'CREATE INDEX "opportunity_contact_id" ON "opportunity" ("contact_id")',
    'CREATE INDEX "opportunity_originating_lead_id" ON "opportunity" ("originating_lead_id")',
    'CREATE INDEX "opportunity_owner_id" ON "opportunity" ("owner_id")',
    'CREATE TABLE "note" ("id" SERIAL NOT NULL PRIMARY KEY, "text" TEXT NOT NULL, '
    '"attachment_name" VARCHAR(255), "attachment_data" BYTEA, "author_id" INTEGER, "created_at" '
    'TIMESTAMP NOT NULL, "lead_id" INTEGER, "account_id" INTEGER, "contact_id" INTEGER, '
    '"opportunity_id" INTEGER, FOREIGN KEY ("author_id") REFERENCES "user" ("id") ON DELETE SET '
    'NULL, FOREIGN KEY ("lead_id") REFERENCES "lead" ("id") ON DELETE CASCADE, FOREIGN KEY '
    '("account_id") REFERENCES "account" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") '
    'REFERENCES "contact" ("id") ON DELETE CASCADE, FOREIGN KEY ("opportunity_id") REFERENCES '
    '"opportunity" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "note_author_id" ON "note" ("author_id")',
    'CREATE INDEX "note_created_at" ON "note" ("created_at")',
    'CREATE INDEX "note_lead_id" ON "note" ("lead_id")',
    'CREATE INDEX "note_account_id" ON "note" ("account_id")',
    'CREATE INDEX "note_contact_id" ON "note" ("contact_id")',
    'CREATE INDEX "note_opportunity_id" ON "note" ("opportunity_id")',
    'CREATE TABLE "setting" ("key" VARCHAR(64) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL, '
    '"modified_at" TIMESTAMP NOT NULL, "modified_by_id" INTEGER, FOREIGN KEY ("modified_by_id") '
    'REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "setting_modified_by_id" ON "setting" ("modified_by_id")',
    'CREATE TABLE "user_key" ("id" SERIAL NOT NULL PRIMARY KEY, "user_id" INTEGER NOT NULL, '
    '"public_key" TEXT NOT NULL, "fingerprint" VARCHAR(128) NOT NULL, "added_at" TIMESTAMP NOT '
    'NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "user_key_user_id" ON "user_key" ("user_id")',
    'CREATE INDEX "user_key_fingerprint" ON "user_key" ("fingerprint")',
]

POSTGRES_SEARCH = [
    """ALTER TABLE lead ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', coalesce(topic, '') || ' ' || coalesce(first_name, '') || ' '
            || coalesce(last_name, '') || ' ' || coalesce(company, '') || ' '
            || translate(coalesce(email, ''), '@.', '  '))) STORED""",
    "CREATE INDEX lead_search_tsv ON lead USING gin (search_tsv)",
]


def up(migrator, db):
    from models.db import is_postgres

    statements = POSTGRES + POSTGRES_SEARCH if is_postgres(db) else SQLITE + SQLITE_SEARCH
    for statement in statements:
        db.execute_sql(statement)
