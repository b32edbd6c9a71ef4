"""Lead imports: each import is one batch, recorded so that it can be undone.

`import_batch` is the run (who, which file, the duplicate policy, the counts);
`lead.import_batch_id` names the batch that created a lead; `import_update` keeps,
for each lead an import filled blank fields of, the values before and after, so
undo can put back what the import changed. The DDL is frozen here (see 0001).
"""

SQLITE = [
    'CREATE TABLE "import_batch" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" DATETIME '
    'NOT NULL, "actor_id" INTEGER, "file_name" VARCHAR(255) NOT NULL, "policy" VARCHAR(16) '
    'NOT NULL, "state" VARCHAR(16) NOT NULL, "encoding" VARCHAR(32) NOT NULL, "delimiter" '
    'VARCHAR(4) NOT NULL, "rows_read" INTEGER NOT NULL, "created_count" INTEGER NOT NULL, '
    '"updated_count" INTEGER NOT NULL, "skipped_count" INTEGER NOT NULL, "rejected_count" '
    'INTEGER NOT NULL, "message" TEXT NOT NULL, "finished_at" DATETIME, "undone_at" DATETIME, '
    '"undone_by_id" INTEGER, FOREIGN KEY ("actor_id") REFERENCES "user" ("id") ON DELETE SET '
    'NULL, FOREIGN KEY ("undone_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "import_batch_actor_id" ON "import_batch" ("actor_id")',
    'CREATE INDEX "import_batch_undone_by_id" ON "import_batch" ("undone_by_id")',
    'ALTER TABLE "lead" ADD COLUMN "import_batch_id" INTEGER REFERENCES "import_batch" ("id") '
    "ON DELETE SET NULL",
    'CREATE INDEX "lead_import_batch_id" ON "lead" ("import_batch_id")',
    'CREATE TABLE "import_update" ("id" INTEGER NOT NULL PRIMARY KEY, "batch_id" INTEGER NOT '
    'NULL, "lead_id" INTEGER NOT NULL, "changes" TEXT NOT NULL, FOREIGN KEY ("batch_id") '
    'REFERENCES "import_batch" ("id") ON DELETE CASCADE, FOREIGN KEY ("lead_id") REFERENCES '
    '"lead" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "import_update_batch_id" ON "import_update" ("batch_id")',
    'CREATE INDEX "import_update_lead_id" ON "import_update" ("lead_id")',
]

POSTGRES = [
    'CREATE TABLE "import_batch" ("id" SERIAL NOT NULL PRIMARY KEY, "created_at" TIMESTAMP '
    'NOT NULL, "actor_id" INTEGER, "file_name" VARCHAR(255) NOT NULL, "policy" VARCHAR(16) '
    'NOT NULL, "state" VARCHAR(16) NOT NULL, "encoding" VARCHAR(32) NOT NULL, "delimiter" '
    'VARCHAR(4) NOT NULL, "rows_read" INTEGER NOT NULL, "created_count" INTEGER NOT NULL, '
    '"updated_count" INTEGER NOT NULL, "skipped_count" INTEGER NOT NULL, "rejected_count" '
    'INTEGER NOT NULL, "message" TEXT NOT NULL, "finished_at" TIMESTAMP, "undone_at" '
    'TIMESTAMP, "undone_by_id" INTEGER, FOREIGN KEY ("actor_id") REFERENCES "user" ("id") ON '
    'DELETE SET NULL, FOREIGN KEY ("undone_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "import_batch_actor_id" ON "import_batch" ("actor_id")',
    'CREATE INDEX "import_batch_undone_by_id" ON "import_batch" ("undone_by_id")',
    'ALTER TABLE "lead" ADD COLUMN "import_batch_id" INTEGER REFERENCES "import_batch" ("id") '
    "ON DELETE SET NULL",
    'CREATE INDEX "lead_import_batch_id" ON "lead" ("import_batch_id")',
    'CREATE TABLE "import_update" ("id" SERIAL NOT NULL PRIMARY KEY, "batch_id" INTEGER NOT '
    'NULL, "lead_id" INTEGER NOT NULL, "changes" TEXT NOT NULL, FOREIGN KEY ("batch_id") '
    'REFERENCES "import_batch" ("id") ON DELETE CASCADE, FOREIGN KEY ("lead_id") REFERENCES '
    '"lead" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "import_update_batch_id" ON "import_update" ("batch_id")',
    'CREATE INDEX "import_update_lead_id" ON "import_update" ("lead_id")',
]


def up(migrator, db):
    from models.db import is_postgres

    for statement in POSTGRES if is_postgres(db) else SQLITE:
        db.execute_sql(statement)
