"""What the create and edit forms of accounts, contacts and opportunities load: the
stored values of the form's fields, the labels of the linked records, and what
the user may do to the record (`permissions.decisions`), in one call a screen
makes from a worker thread. Frozen dataclasses, no lazy foreign keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from peewee import JOIN

from .entities import Account, Contact, User
from .errors import NotFound
from .locks import gone_message
from .permissions import decisions
from .records import MODELS
from .roles import Decision
from .validation import RECORD_FIELDS
from .views import account_label, contact_label


@dataclass(frozen=True)
class RecordForm:
    kind: str
    id: int | None
    values: MappingProxyType[str, Any]
    labels: MappingProxyType[str, str]
    """Lookup fields' labels (`account`, `contact`)."""
    actions: MappingProxyType[str, Decision] = field(default_factory=lambda: MappingProxyType({}))
    title: str = ""


def _link_labels(values: dict[str, Any]) -> dict[str, str]:
    labels = {}
    if values.get("account"):
        account = Account.get_or_none(Account.id == values["account"])
        if account is not None:
            labels["account"] = account_label(account)
    if values.get("contact"):
        contact = (
            Contact.select(Contact, Account)
            .join(Account, JOIN.LEFT_OUTER, on=(Contact.account == Account.id))
            .where(Contact.id == values["contact"])
            .first()
        )
        if contact is not None:
            labels["contact"] = contact_label(contact)
    return labels


def record_form(kind: str, record_id: int | None, user: User) -> RecordForm:
    """The form of a record to edit (or, with `record_id=None`, a blank one)."""
    names = list(RECORD_FIELDS[kind])
    if record_id is None:
        return RecordForm(kind, None, MappingProxyType(dict.fromkeys(names)),
                          MappingProxyType({}))  # fmt: skip
    model = MODELS[kind]
    record = model.get_or_none(model.id == record_id)
    if record is None:
        raise NotFound(gone_message(kind))
    values = {
        name: getattr(record, f"{name}_id") if name in ("account", "contact") else getattr(
            record, name)
        for name in names
    }  # fmt: skip
    return RecordForm(
        kind,
        record.id,
        MappingProxyType(values),
        MappingProxyType(_link_labels(values)),
        MappingProxyType(decisions(user, record)),
        str(record),
    )
