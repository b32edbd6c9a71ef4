"""Normalised keys used for duplicate detection.

Every key is either a non-empty string or None: a blank value has no key, so
blank never matches blank. Keys are stored in indexed columns and compared with
`==`, never with LIKE.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import urlsplit

# Legal-form suffixes ignored when comparing company names.
LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "pllc",
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "oy",
        "as",
        "aps",
        "kk",
        "pty",
        "pte",
        "bhd",
    ]
)

_PUNCTUATION = re.compile(r"[^\w\s]+", re.UNICODE)

# Keys can be longer than the field they come from ("ß" casefolds to "ss", NFKD
# spells some characters out in several, IDNA writes a domain in ASCII), so key
# columns are unbounded text; a key is cut at KEY_MAX characters (at most 2,400
# UTF-8 bytes) to stay within what a PostgreSQL btree index entry can hold.
KEY_MAX = 600


def _capped(key: str | None) -> str | None:
    return key[:KEY_MAX] if key else None


_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


SORT_KEY_MAX = 255


def _fold(text: str | None) -> str:
    """Casefold, drop accents, remove punctuation (`Margie's` -> `margies`: removed,
    not turned into a space), collapse spaces."""
    if not text:
        return ""
    if text.isascii():  # no accents to drop; casefold is lower
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKD", text.casefold())
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_PUNCTUATION.sub("", text).replace("_", " ").split())


def sort_key(*parts: str | None) -> str:
    """What a name sorts by: each part folded (case, accents and punctuation ignored),
    joined by a space, so `JANET leverling` sorts among the l's. Never None (a
    blank sorts first on both backends) and at most SORT_KEY_MAX characters."""
    return " ".join(_fold(part) for part in parts).rstrip()[:SORT_KEY_MAX]


def company_key(name: str | None) -> str | None:
    """`Acme, Inc.` and `ACME inc` and `Acme` share the key `acme`."""
    words = _fold(name).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return _capped(" ".join(words))


def person_key(first: str | None, last: str | None) -> str | None:
    """First and last name together; both must be present to match on."""
    first_f, last_f = _fold(first), _fold(last)
    if not first_f or not last_f:
        return None
    return _capped(f"{first_f} {last_f}")


def email_key(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return _capped(email)


def phone_key(phone: str | None, region: str = "US") -> str | None:
    """E.164 form of a phone number, or None when it is blank or unreadable."""
    if not phone or not phone.strip():
        return None
    return read_phone(phone, region)[1]


@functools.lru_cache(maxsize=4096)
def read_phone(phone: str, region: str) -> tuple[str, str | None]:
    """How phonenumbers reads `phone`: ("ok" | "unreadable" | "impossible", E.164 or
    None). Cached: validating a lead and making its keys read the same number
    (about 15 us a parse; an import reads each number twice)."""
    import phonenumbers  # lazily: ~80 ms of start-up the lead list does not need

    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return "unreadable", None
    if not phonenumbers.is_possible_number(number):
        return "impossible", None
    return "ok", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=16384)
def website_domain(website: str | None) -> str | None:
    """The host of a website with `www.` removed: `https://WWW.Acme.com/x` -> `acme.com`.

    Returns None when blank or when no valid host name can be read.
    """
    raw = (website or "").strip()
    if not raw:
        return None
    if "://" not in raw:
        raw = "http://" + raw
    try:
        host = urlsplit(raw).hostname or ""
    except ValueError:
        return None
    host = host.rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return _capped(host)
