"""Finding an existing account or contact by the start of its name.

Used by the lead's qualify-stage lookups. Matching is a range over the stored,
normalised, indexed keys (`key >= text AND key < text + U+FFFF`), which an index
answers directly, never a LIKE scan. A final check in Python drops anything a
collation-aware range lets through that does not really start with the text.
"""

from __future__ import annotations

from peewee import JOIN

from .entities import Account, Contact
from .normalize import _fold, company_key, email_key

LOOKUP_LIMIT = 20
_TOP = "\uffff"


def _prefix_range(field, key: str):  # type: ignore[no-untyped-def]
    return (field >= key) & (field < key + _TOP)


def search_accounts(text: str, limit: int = LOOKUP_LIMIT) -> list[Account]:
    """Accounts whose name starts with `text` (case, accents and punctuation ignored).

    `Contoso Ltd` finds `Contoso` too, since stored names drop legal suffixes.
    A blank `text` lists accounts by name, so the lookup is useful before typing.
    """
    key = _fold(text)
    if not key:
        active = Account.select().where(Account.merged_into.is_null())  # merged: keys cleared
        return list(active.order_by(Account.name_key, Account.id).limit(limit))
    by_id: dict[int, Account] = {}
    exact = company_key(text)
    if exact and exact != key:
        # "Contoso Ltd" typed in full: the stored key is "contoso".
        for account in Account.select().where(Account.name_key == exact).limit(limit):
            by_id.setdefault(account.id, account)
    rows = (
        Account.select()
        .where(_prefix_range(Account.name_key, key))
        .order_by(Account.name_key, Account.id)
        .limit(limit * 2)
    )
    for account in rows:
        if (account.name_key or "").startswith(key):
            by_id.setdefault(account.id, account)
    return list(by_id.values())[:limit]


def _contacts():  # type: ignore[no-untyped-def]
    """Contacts with their account joined: a lookup names it beside each contact."""
    return Contact.select(Contact, Account).join(
        Account, JOIN.LEFT_OUTER, on=(Contact.account == Account.id)
    )


def search_contacts(text: str, limit: int = LOOKUP_LIMIT) -> list[Contact]:
    """Contacts whose full name ("first last") or email starts with `text`, each with
    its account loaded (one query for each of name and email, never one per row)."""
    key = _fold(text)
    mail = email_key(text)
    if not key and not mail:
        active = _contacts().where(Contact.merged_into.is_null())  # merged: keys cleared
        return list(active.order_by(Contact.person_key, Contact.id).limit(limit))
    by_id: dict[int, Contact] = {}
    if key:
        for contact in (
            _contacts()
            .where(_prefix_range(Contact.person_key, key))
            .order_by(Contact.person_key, Contact.id)
            .limit(limit * 2)
        ):
            if (contact.person_key or "").startswith(key):
                by_id.setdefault(contact.id, contact)
    if mail and len(by_id) < limit:
        for contact in (
            _contacts()
            .where(_prefix_range(Contact.email_key, mail))
            .order_by(Contact.email_key, Contact.id)
            .limit(limit * 2)
        ):
            if (contact.email_key or "").startswith(mail):
                by_id.setdefault(contact.id, contact)
    return list(by_id.values())[:limit]
