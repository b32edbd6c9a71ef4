"""leadq's domain: the models and the services that enforce every rule.

Import from here: `from models import qualify_lead, Lead, ...`. This package
never imports the UI.
"""

from .audit import change_token, record
from .db import close_database, database_proxy, open_database, resolve_url, thread_connection
from .duplicates import DuplicateMatches, MatchedRecord, find_duplicates, leads_with_duplicates
from .entities import (
    LEAD_FORM_FIELDS,
    Account,
    AuditEvent,
    Contact,
    Lead,
    Note,
    Opportunity,
    Setting,
    User,
    UserKey,
)
from .enums import (
    DISQUALIFY_REASONS,
    OPPORTUNITY_STAGES,
    STAGES,
    LeadSource,
    LeadState,
    PurchaseProcess,
    PurchaseTimeframe,
    Rating,
    Role,
    Stage,
    StatusReason,
)
from .errors import (
    DisqualifyRefused,
    DuplicatesFound,
    ExitCriteriaNotMet,
    LeadClosed,
    LeadqError,
    NotFound,
    PermissionDenied,
    QualifyRefused,
    ValidationError,
)
from .leads import (
    can_delete,
    create_lead,
    delete_lead,
    disqualify_lead,
    get_lead,
    reactivate_lead,
    update_lead,
)
from .listing import SORTS, VIEWS, count_leads, lead_query
from .lookup import search_accounts, search_contacts
from .notes import add_note, attachment_bytes, read_attachment, save_attachment
from .opportunities import move_opportunity_stage
from .qualify import LeadOutcome, QualifyChoice, QualifyResult, qualify_lead, qualify_leads
from .settings import SETTING_DEFS, OrgSettings, change_setting, load_settings
from .users import add_user_key, authorized_keys, create_user, get_user, key_fingerprint
from .validation import FIELD_LABELS, clean_lead_fields

__all__ = [
    "DISQUALIFY_REASONS",
    "FIELD_LABELS",
    "LEAD_FORM_FIELDS",
    "OPPORTUNITY_STAGES",
    "SETTING_DEFS",
    "SORTS",
    "STAGES",
    "VIEWS",
    "Account",
    "AuditEvent",
    "Contact",
    "DisqualifyRefused",
    "DuplicateMatches",
    "DuplicatesFound",
    "ExitCriteriaNotMet",
    "Lead",
    "LeadClosed",
    "LeadOutcome",
    "LeadSource",
    "LeadState",
    "LeadqError",
    "MatchedRecord",
    "NotFound",
    "Note",
    "Opportunity",
    "OrgSettings",
    "PermissionDenied",
    "PurchaseProcess",
    "PurchaseTimeframe",
    "QualifyChoice",
    "QualifyRefused",
    "QualifyResult",
    "Rating",
    "Role",
    "Setting",
    "Stage",
    "StatusReason",
    "User",
    "UserKey",
    "ValidationError",
    "add_note",
    "add_user_key",
    "attachment_bytes",
    "authorized_keys",
    "can_delete",
    "change_setting",
    "change_token",
    "clean_lead_fields",
    "close_database",
    "count_leads",
    "create_lead",
    "create_user",
    "database_proxy",
    "delete_lead",
    "disqualify_lead",
    "find_duplicates",
    "get_lead",
    "get_user",
    "key_fingerprint",
    "lead_query",
    "leads_with_duplicates",
    "load_settings",
    "move_opportunity_stage",
    "open_database",
    "qualify_lead",
    "qualify_leads",
    "reactivate_lead",
    "read_attachment",
    "record",
    "resolve_url",
    "save_attachment",
    "search_accounts",
    "search_contacts",
    "thread_connection",
    "update_lead",
]
