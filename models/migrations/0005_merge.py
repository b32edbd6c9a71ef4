"""Merging duplicates: a merged lead, account or contact points at the record it
was merged into (`merged_into_id`, like Dynamics 365's `masterid`). A merged lead
is closed (disqualified, status reason `merged`); its keys are cleared so that it
never matches a duplicate rule again. The DDL is frozen here (see 0001).
"""

STATEMENTS = [
    'ALTER TABLE "lead" ADD COLUMN "merged_into_id" INTEGER REFERENCES "lead" ("id") '
    "ON DELETE SET NULL",
    'CREATE INDEX "lead_merged_into_id" ON "lead" ("merged_into_id")',
    'ALTER TABLE "account" ADD COLUMN "merged_into_id" INTEGER REFERENCES "account" ("id") '
    "ON DELETE SET NULL",
    'CREATE INDEX "account_merged_into_id" ON "account" ("merged_into_id")',
    'ALTER TABLE "contact" ADD COLUMN "merged_into_id" INTEGER REFERENCES "contact" ("id") '
    "ON DELETE SET NULL",
    'CREATE INDEX "contact_merged_into_id" ON "contact" ("merged_into_id")',
]


def up(migrator, db):
    for statement in STATEMENTS:  # the same on SQLite and PostgreSQL
        db.execute_sql(statement)
