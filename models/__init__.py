"""leadq's domain: the models and the services that enforce every rule.

Import from here: `from models import qualify_lead, Lead, ...`. This package
never imports the UI.

Inside, the modules are laid out in layers, each importing only its own layer and
those below: base (enums, errors, the database) -> entities (the Peewee models)
-> rules (settings, audit, locks, validation, duplicates, permissions) ->
services (qualify, leads, records, ...) -> reads (views, lists, forms, exports).
No module inside imports this front. `tests/models/import_graph.py` names the
layer of each module and `.venv/bin/python -m tests.models.import_graph` prints
the graph; `tests/models/test_models_layers.py` keeps it acyclic.

The names load lazily (PEP 562 `__getattr__`): a name is imported from its module
the first time it is used, so a process imports only the modules it needs. The
lead list at start-up loads about half of them; the services of imports, exports,
qualifying, merging and the views of screens load when first used. `_NAMES` says
where each name lives.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

PEEWEE_LOADS_LATER = ("hashlib", "calendar")
"""Modules Peewee imports at its top and uses in one function each: hashlib for an
md5 of constraint names too long to keep (importing hashlib sets up OpenSSL's
digests: 0.5 MiB resident), calendar for `timegm` in timestamp fields (0.1 MiB).
Most leadq processes use neither."""


def _import_peewee_loading_later(names: tuple[str, ...] = PEEWEE_LOADS_LATER) -> None:
    """Import Peewee with each of `names` loaded on its first use instead of at once.

    While Peewee is imported, each is a stand-in module that imports the real one
    when an attribute is first asked of it; Peewee keeps the stand-ins, and every
    later `import` of these names gets the real module. Nothing is done if Peewee is
    loaded already, and a module loaded already is given as it is."""
    if "peewee" in sys.modules:
        return
    stand_ins = {name: _stand_in(name) for name in names if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        import peewee  # noqa: F401
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


def _stand_in(name: str) -> types.ModuleType:
    stand_in = types.ModuleType(name, f"Loads the real {name} on first use.")

    def real_attribute(attribute: str) -> Any:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]  # something asked for it during Peewee's import
        value = getattr(importlib.import_module(name), attribute)
        setattr(stand_in, attribute, value)  # found at once next time (md5 per long name)
        return value

    stand_in.__getattr__ = real_attribute  # type: ignore[method-assign]
    return stand_in


_import_peewee_loading_later()

_NAMES: dict[str, tuple[str, ...]] = {
    "audit": ("change_token", "record"),
    "db": (
        "check_database",
        "close_database",
        "data_dir",
        "database_proxy",
        "finish_open_check",
        "keep_thread_connection",
        "open_database",
        "release_page_cache",
        "resolve_url",
        "thread_connection",
    ),
    "demo": ("DEMO_USERS", "DemoUser"),
    "duplicates": (
        "DuplicateMatches",
        "DuplicatesFound",
        "MatchedRecord",
        "find_duplicates",
        "leads_with_duplicates",
    ),
    "entities": (
        "LEAD_FORM_FIELDS",
        "Account",
        "AuditEvent",
        "Contact",
        "ImportBatch",
        "Lead",
        "Note",
        "Opportunity",
        "Setting",
        "User",
        "UserKey",
    ),
    "enums": (
        "DISQUALIFY_REASONS",
        "LOST_REASONS",
        "OPPORTUNITY_STAGES",
        "STAGE_STEPS",
        "STAGES",
        "STATUS_REASONS",
        "LeadSource",
        "LeadState",
        "OpportunityState",
        "OpportunityStatus",
        "PurchaseProcess",
        "PurchaseTimeframe",
        "Rating",
        "Role",
        "Stage",
        "StatusReason",
    ),
    "errors": (
        "DatabaseDamaged",
        "DatabaseReadOnly",
        "DatabaseRefused",
        "DatabaseTooNew",
        "DatabaseUnavailable",
        "DatabaseUrlInvalid",
        "DeleteRefused",
        "DisqualifyRefused",
        "ExitCriteriaNotMet",
        "LeadClosed",
        "LeadqError",
        "NotFound",
        "OpportunityClosed",
        "PermissionDenied",
        "QualifyRefused",
        "RecordConflict",
        "RecordMerged",
        "UserInactive",
        "ValidationError",
    ),
    "exporting": ("export_ids", "export_leads"),
    "file_area": (
        "AreaFile",
        "FileArea",
        "FileAreaError",
        "FileLimits",
        "NameTaken",
        "QuotaExceeded",
        "check_name",
        "parse_size",
        "size_text",
    ),
    "forms": ("record_form",),
    "importing": (
        "ImportPreview",
        "ImportProgress",
        "ImportSummary",
        "UndoResult",
        "get_batch",
        "import_leads",
        "list_batches",
        "preview_import",
        "undo_import",
    ),
    "leads": (
        "can_delete",
        "create_lead",
        "delete_lead",
        "disqualify_lead",
        "get_lead",
        "reactivate_lead",
        "update_lead",
    ),
    "listing": (
        "ENTERED",
        "SORTED_SEARCH_LIMIT",
        "SORTS",
        "VIEWS",
        "QueryStopped",
        "QueryStopper",
        "count_leads",
        "lead_ids",
        "lead_query",
        "lead_rows",
        "search_order",
        "sort_key",
        "sorted_search_limit",
    ),
    "lookup": ("search_accounts", "search_contacts"),
    "merge": (
        "MergeField",
        "MergeRefused",
        "merge_accounts",
        "merge_contacts",
        "merge_fields",
        "merge_leads",
        "parents_differ",
    ),
    "notes": (
        "add_note",
        "attachment_bytes",
        "read_area_attachment",
        "read_attachment",
        "save_attachment",
        "save_attachment_to_area",
    ),
    "opening": ("CHECKED_FILE_ENV", "checked_file_identity"),
    "opportunities": (
        "StageFigure",
        "close_opportunity_lost",
        "close_opportunity_won",
        "move_opportunity_stage",
        "pipeline",
        "reopen_opportunity",
        "set_opportunity_step",
    ),
    "permissions": ("ACTIONS", "can", "decisions"),
    "processes.admin": (
        "activate_process",
        "add_activity",
        "add_level",
        "copy_process",
        "create_process",
        "deactivate_process",
        "delete_process",
        "move_item",
        "remove_activity",
        "remove_level",
        "rename_level",
        "set_default_process",
        "set_process_active",
        "update_activity",
        "update_process",
    ),
    "processes.assignment": (
        "assign_process",
        "check_off_activity",
        "remove_process",
        "reopen_activity",
        "set_activity_done",
    ),
    "processes.demo": ("seed_demo_process",),
    "processes.errors": ("FeatureOff", "ProcessRefused"),
    "processes.models": (
        "LeadActivity",
        "LeadProcess",
        "ProcessActivity",
        "ProcessLevel",
        "QualifyingProcess",
    ),
    "processes.reading": (
        "OutlineRow",
        "ProcessSummary",
        "feature_enabled",
        "get_process",
        "lead_activities",
        "lead_process",
        "list_processes",
        "open_required_activities",
        "process_outline",
    ),
    "qualify": (
        "LeadOutcome",
        "QualifyChoice",
        "QualifyResult",
        "closed_message",
        "qualify_lead",
        "qualify_leads",
    ),
    "record_listing": (
        "count_records",
        "record_ids",
        "record_list",
        "record_query",
        "record_rows",
        "record_search_order",
        "record_sort_key",
    ),
    "records": (
        "DeleteImpact",
        "LeadDuplicatesFound",
        "PreviousRecords",
        "RecordOutcome",
        "assign_owner",
        "bulk_update_leads",
        "create_account",
        "create_contact",
        "create_lead_checked",
        "create_opportunity",
        "delete_account",
        "delete_contact",
        "delete_impact",
        "delete_opportunity",
        "get_record",
        "new_lead_duplicates",
        "previous_records",
        "record_duplicates",
        "update_account",
        "update_contact",
        "update_opportunity",
    ),
    "roles": (
        "CHANGE_SETTINGS",
        "DEFINE_PROCESSES",
        "Decision",
        "admin_only",
        "can_define_processes",
    ),
    "seeding": ("SeedRefused", "SeedSummary"),
    "settings": ("SETTING_DEFS", "OrgSettings", "change_setting", "load_settings"),
    "users": (
        "KeyInfo",
        "RevokedKey",
        "UserSummary",
        "active_users",
        "add_user_key",
        "add_user_keys",
        "authorized_keys",
        "check_username",
        "create_user",
        "current_user",
        "deactivate_user",
        "find_user",
        "first_active_admin",
        "get_user",
        "has_users",
        "is_active_user",
        "key_fingerprint",
        "list_users",
        "public_keys_from_file",
        "public_keys_from_text",
        "reactivate_user",
        "revoke_user_key",
        "set_user_active",
        "user_keys",
        "usernames_by_id",
    ),
    "validation": ("FIELD_LABELS", "LEAD_FORM_GROUPS", "LEAD_FORM_LABELS", "clean_lead_fields"),
    "views": (
        "ActivityView",
        "AssignmentView",
        "HistoryEntry",
        "LeadActivities",
        "LeadDetail",
        "NoteView",
        "ProcessesView",
        "ProcessItem",
        "RecordView",
        "Ref",
        "TreeRow",
        "account_label",
        "account_view",
        "contact_label",
        "contact_view",
        "history_entries",
        "history_to_show",
        "lead_activity_views",
        "lead_detail",
        "lead_label",
        "money",
        "note_target",
        "note_views",
        "notes_to_show",
        "opportunity_label",
        "opportunity_view",
        "process_item",
        "process_tree",
        "processes_view",
        "record_view",
        "record_view_for",
        "with_actions",
    ),
}
"""Module -> the names this front takes from it under their own names."""

_RENAMED: dict[str, tuple[str, str]] = {
    "check_seed_counts": ("seeding", "check_counts"),
    "seed_demo_data": ("seeding", "seed"),
    "DB_ENV_VAR": ("db", "ENV_VAR"),
    "EXPORT_FORMATS": ("exporting", "FORMATS"),
    "file_area_given": ("area_env", "area_given"),
    "FILE_AREA_ENV": ("area_env", "AREA_ENV"),
    "FILE_AREA_FD_ENV": ("area_env", "AREA_FD_ENV"),
    "FILE_LIMITS_ENV": ("area_env", "LIMITS_ENV"),
    "FILE_NAME_MAX_BYTES": ("file_area", "NAME_MAX_BYTES"),
    "IMPORT_IGNORE": ("csvfile", "IGNORE"),
    "IMPORT_POLICIES": ("importing", "POLICIES"),
    "MERGE_MAX_LEADS": ("merge", "MAX_LEADS"),
    "LEAD_CHOICES": ("validation", "CHOICES"),
    "LEAD_REQUIRED": ("validation", "REQUIRED"),
}
"""Name here -> (module, name there)."""

_WHERE: dict[str, tuple[str, str]] = {
    name: (module, name) for module, names in _NAMES.items() for name in names
} | _RENAMED

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """A front name, imported from its module on first use (then kept here), or one
    of the package's modules (`models.entities`), as the eager front gave them."""
    where = _WHERE.get(name)
    if where is None:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module, attribute = where
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
