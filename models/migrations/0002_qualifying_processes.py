"""Lead qualifying processes: processes, their levels and activities, and the
process assigned to a lead with its copied activities.

The DDL is frozen here as generated from `models.processes.models.PROCESS_MODELS` at this
version (see 0001 for why).
"""

SQLITE = [
    'CREATE TABLE "qualifying_process" ("id" INTEGER NOT NULL PRIMARY KEY, "name" '
    'VARCHAR(100) NOT NULL, "name_key" VARCHAR(100) NOT NULL, "description" TEXT NOT NULL, '
    '"active" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "created_by_id" INTEGER, '
    '"modified_at" DATETIME NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" '
    '("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "qualifying_process_name_key" ON "qualifying_process" ("name_key")',
    'CREATE INDEX "qualifying_process_created_by_id" ON "qualifying_process" ("created_by_id")',
    'CREATE TABLE "process_level" ("id" INTEGER NOT NULL PRIMARY KEY, "process_id" INTEGER '
    'NOT NULL, "parent_id" INTEGER, "name" VARCHAR(100) NOT NULL, "position" INTEGER NOT '
    'NULL, FOREIGN KEY ("process_id") REFERENCES "qualifying_process" ("id") ON DELETE '
    'CASCADE, FOREIGN KEY ("parent_id") REFERENCES "process_level" ("id") ON DELETE '
    "CASCADE)",
    'CREATE INDEX "process_level_process_id" ON "process_level" ("process_id")',
    'CREATE INDEX "process_level_parent_id" ON "process_level" ("parent_id")',
    'CREATE TABLE "process_activity" ("id" INTEGER NOT NULL PRIMARY KEY, "process_id" '
    'INTEGER NOT NULL, "level_id" INTEGER NOT NULL, "purpose" VARCHAR(200) NOT NULL, '
    '"required" INTEGER NOT NULL, "days_to_start" INTEGER NOT NULL, "days_to_finish" '
    'INTEGER NOT NULL, "responsible_role" VARCHAR(32) NOT NULL, "position" INTEGER NOT '
    'NULL, FOREIGN KEY ("process_id") REFERENCES "qualifying_process" ("id") ON DELETE '
    'CASCADE, FOREIGN KEY ("level_id") REFERENCES "process_level" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "process_activity_process_id" ON "process_activity" ("process_id")',
    'CREATE INDEX "process_activity_level_id" ON "process_activity" ("level_id")',
    'CREATE TABLE "lead_process" ("id" INTEGER NOT NULL PRIMARY KEY, "lead_id" INTEGER NOT '
    'NULL, "process_id" INTEGER NOT NULL, "process_name" VARCHAR(100) NOT NULL, '
    '"assigned_on" DATE NOT NULL, "assigned_at" DATETIME NOT NULL, "assigned_by_id" '
    'INTEGER, FOREIGN KEY ("lead_id") REFERENCES "lead" ("id") ON DELETE CASCADE, FOREIGN '
    'KEY ("process_id") REFERENCES "qualifying_process" ("id") ON DELETE RESTRICT, FOREIGN '
    'KEY ("assigned_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "lead_process_lead_id" ON "lead_process" ("lead_id")',
    'CREATE INDEX "lead_process_process_id" ON "lead_process" ("process_id")',
    'CREATE INDEX "lead_process_assigned_by_id" ON "lead_process" ("assigned_by_id")',
    'CREATE TABLE "lead_activity" ("id" INTEGER NOT NULL PRIMARY KEY, "lead_id" INTEGER NOT '
    'NULL, "lead_process_id" INTEGER NOT NULL, "source_activity_id" INTEGER, "level_name" '
    'VARCHAR(100) NOT NULL, "level_path" TEXT NOT NULL, "level_depth" INTEGER NOT NULL, '
    '"purpose" VARCHAR(200) NOT NULL, "required" INTEGER NOT NULL, "responsible_role" '
    'VARCHAR(32) NOT NULL, "due_start" DATE NOT NULL, "due_finish" DATE NOT NULL, '
    '"position" INTEGER NOT NULL, "done" INTEGER NOT NULL, "done_by_id" INTEGER, "done_at" '
    'DATETIME, FOREIGN KEY ("lead_id") REFERENCES "lead" ("id") ON DELETE CASCADE, FOREIGN '
    'KEY ("lead_process_id") REFERENCES "lead_process" ("id") ON DELETE CASCADE, FOREIGN '
    'KEY ("done_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "lead_activity_lead_id" ON "lead_activity" ("lead_id")',
    'CREATE INDEX "lead_activity_lead_process_id" ON "lead_activity" ("lead_process_id")',
    'CREATE INDEX "lead_activity_done_by_id" ON "lead_activity" ("done_by_id")',
    'CREATE INDEX "lead_activity_lead_id_position" ON "lead_activity" ("lead_id", "position")',
]

POSTGRES = [
    'CREATE TABLE "qualifying_process" ("id" SERIAL NOT NULL PRIMARY KEY, "name" '
    'VARCHAR(100) NOT NULL, "name_key" VARCHAR(100) NOT NULL, "description" TEXT NOT NULL, '
    '"active" BOOLEAN NOT NULL, "created_at" TIMESTAMP NOT NULL, "created_by_id" INTEGER, '
    '"modified_at" TIMESTAMP NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" '
    '("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "qualifying_process_name_key" ON "qualifying_process" ("name_key")',
    'CREATE INDEX "qualifying_process_created_by_id" ON "qualifying_process" ("created_by_id")',
    'CREATE TABLE "process_level" ("id" SERIAL NOT NULL PRIMARY KEY, "process_id" INTEGER '
    'NOT NULL, "parent_id" INTEGER, "name" VARCHAR(100) NOT NULL, "position" INTEGER NOT '
    'NULL, FOREIGN KEY ("process_id") REFERENCES "qualifying_process" ("id") ON DELETE '
    'CASCADE, FOREIGN KEY ("parent_id") REFERENCES "process_level" ("id") ON DELETE '
    "CASCADE)",
    'CREATE INDEX "process_level_process_id" ON "process_level" ("process_id")',
    'CREATE INDEX "process_level_parent_id" ON "process_level" ("parent_id")',
    'CREATE TABLE "process_activity" ("id" SERIAL NOT NULL PRIMARY KEY, "process_id" '
    'INTEGER NOT NULL, "level_id" INTEGER NOT NULL, "purpose" VARCHAR(200) NOT NULL, '
    '"required" BOOLEAN NOT NULL, "days_to_start" INTEGER NOT NULL, "days_to_finish" '
    'INTEGER NOT NULL, "responsible_role" VARCHAR(32) NOT NULL, "position" INTEGER NOT '
    'NULL, FOREIGN KEY ("process_id") REFERENCES "qualifying_process" ("id") ON DELETE '
    'CASCADE, FOREIGN KEY ("level_id") REFERENCES "process_level" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "process_activity_process_id" ON "process_activity" ("process_id")',
    'CREATE INDEX "process_activity_level_id" ON "process_activity" ("level_id")',
    'CREATE TABLE "lead_process" ("id" SERIAL NOT NULL PRIMARY KEY, "lead_id" INTEGER NOT '
    'NULL, "process_id" INTEGER NOT NULL, "process_name" VARCHAR(100) NOT NULL, '
    '"assigned_on" DATE NOT NULL, "assigned_at" TIMESTAMP NOT NULL, "assigned_by_id" '
    'INTEGER, FOREIGN KEY ("lead_id") REFERENCES "lead" ("id") ON DELETE CASCADE, FOREIGN '
    'KEY ("process_id") REFERENCES "qualifying_process" ("id") ON DELETE RESTRICT, FOREIGN '
    'KEY ("assigned_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE UNIQUE INDEX "lead_process_lead_id" ON "lead_process" ("lead_id")',
    'CREATE INDEX "lead_process_process_id" ON "lead_process" ("process_id")',
    'CREATE INDEX "lead_process_assigned_by_id" ON "lead_process" ("assigned_by_id")',
    'CREATE TABLE "lead_activity" ("id" SERIAL NOT NULL PRIMARY KEY, "lead_id" INTEGER NOT '
    'NULL, "lead_process_id" INTEGER NOT NULL, "source_activity_id" INTEGER, "level_name" '
    'VARCHAR(100) NOT NULL, "level_path" TEXT NOT NULL, "level_depth" INTEGER NOT NULL, '
    '"purpose" VARCHAR(200) NOT NULL, "required" BOOLEAN NOT NULL, "responsible_role" '
    'VARCHAR(32) NOT NULL, "due_start" DATE NOT NULL, "due_finish" DATE NOT NULL, '
    '"position" INTEGER NOT NULL, "done" BOOLEAN NOT NULL, "done_by_id" INTEGER, "done_at" '
    'TIMESTAMP, FOREIGN KEY ("lead_id") REFERENCES "lead" ("id") ON DELETE CASCADE, FOREIGN '
    'KEY ("lead_process_id") REFERENCES "lead_process" ("id") ON DELETE CASCADE, FOREIGN '
    'KEY ("done_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "lead_activity_lead_id" ON "lead_activity" ("lead_id")',
    'CREATE INDEX "lead_activity_lead_process_id" ON "lead_activity" ("lead_process_id")',
    'CREATE INDEX "lead_activity_done_by_id" ON "lead_activity" ("done_by_id")',
    'CREATE INDEX "lead_activity_lead_id_position" ON "lead_activity" ("lead_id", "position")',
]


def up(migrator, db):
    from models.db import is_postgres

    for statement in POSTGRES if is_postgres(db) else SQLITE:
        db.execute_sql(statement)
