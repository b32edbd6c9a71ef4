"""Reading CSV files as people export them: encoding, delimiter, header mapping.

A file is read as a stream, never whole. Its encoding is found by decoding the
bytes once with an incremental UTF-8 decoder (a byte-order mark says UTF-8 too);
a file that is not UTF-8 is read as Windows-1252, and `CsvFile.notes` says so.
The delimiter (comma, semicolon, tab or bar) is the one that splits the first
records into the same, largest number of fields.

Headers map to lead fields by name: leadq's own export (the lead form's labels,
or field names), a Dynamics 365 lead export (display or logical names) and a
Salesforce lead export (labels or API names) are recognised. Other columns are
listed and ignored unless the caller maps them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from .entities import LEAD_FORM_FIELDS
from .enums import LeadSource, PurchaseProcess, PurchaseTimeframe, Rating
from .errors import ValidationError
from .validation import FIELD_LABELS

# A 10 MB field is a real thing in exported descriptions; csv's default limit is 128 KiB.
FIELD_SIZE_LIMIT = 64 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), min(FIELD_SIZE_LIMIT, sys.maxsize)))

DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 64 * 1024
IGNORE = "-"
"""Map a column to this to ignore it (`--map "Lead Owner=-"`)."""


def header_key(text: str) -> str:
    """`ZIP/Postal Code`, `zip_postal_code` and `Zip / postal code` all read alike."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def _aliases() -> dict[str, str]:
    names: dict[str, tuple[str, ...]] = {
        "topic": ("subject", "Topic", "Lead Name"),
        "first_name": ("firstname", "First Name"),
        "last_name": ("lastname", "Last Name"),
        "job_title": ("jobtitle", "Title", "Job Title"),
        "business_phone": ("telephone1", "Phone", "Business Phone"),
        "mobile_phone": ("mobilephone", "Mobile", "Mobile Phone", "MobilePhone"),
        "email": ("emailaddress1", "Email", "E-mail", "Email Address"),
        "company": ("companyname", "Company", "Company Name"),
        "website": ("websiteurl", "Website", "Web Site"),
        "street1": ("address1_line1", "Street", "Street 1", "Address 1: Street 1"),
        "street2": ("address1_line2", "Street 2", "Address 1: Street 2"),
        "street3": ("address1_line3", "Street 3", "Address 1: Street 3"),
        "city": ("address1_city", "City", "Address 1: City"),
        "state_province": (
            "address1_stateorprovince",
            "State",
            "State/Province",
            "Address 1: State/Province",
        ),
        "postal_code": (
            "address1_postalcode",
            "PostalCode",
            "Zip/Postal Code",
            "ZIP/Postal Code",
            "Address 1: ZIP/Postal Code",
        ),
        "country": ("address1_country", "Country", "Country/Region", "Address 1: Country/Region"),
        "rating": ("leadqualitycode", "Rating"),
        "lead_source": ("leadsourcecode", "LeadSource", "Lead Source"),
        "purchase_timeframe": ("purchasetimeframe", "Purchase Timeframe"),
        "estimated_budget": ("budgetamount", "Budget Amount", "Estimated Budget"),
        "purchase_process": ("purchaseprocess", "Purchase Process"),
        "decision_maker_identified": ("decisionmaker", "Decision Maker?", "Decision Maker"),
        "summary": ("qualificationcomments", "Description", "Summary"),
    }
    aliases: dict[str, str] = {}
    for name in LEAD_FORM_FIELDS:
        for text in (name, FIELD_LABELS[name], *names[name]):
            aliases.setdefault(header_key(text), name)
    return aliases


HEADER_ALIASES: dict[str, str] = _aliases()
"""Normalised header -> lead field, for the exports leadq recognises."""

_CHOICE_TYPES = {
    "rating": Rating,
    "lead_source": LeadSource,
    "purchase_timeframe": PurchaseTimeframe,
    "purchase_process": PurchaseProcess,
}
# Picklist values of other CRMs that mean one of leadq's (Salesforce's defaults).
_CHOICE_SYNONYMS = {
    "lead_source": {
        "partnerreferral": "partner",
        "purchasedlist": "other",
        "phoneinquiry": "other",
        "seminarinternal": "seminar",
        "seminarpartner": "seminar",
        "webform": "web",
    },
}


def choice_values() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for name, enum in _CHOICE_TYPES.items():
        known = {header_key(m.value): m.value for m in enum}
        known |= {header_key(m.label): m.value for m in enum}
        known |= _CHOICE_SYNONYMS.get(name, {})
        table[name] = known
    return table


CHOICE_VALUES = choice_values()
YES = frozenset({"yes", "y", "true", "1", "x", "ja", "oui", "si", "sí"})
NO = frozenset({"no", "n", "false", "0", "", "nein", "non"})


@dataclass
class ColumnMap:
    """Which column of the file feeds which lead field."""

    headers: list[str]
    fields: dict[int, str]  # column index -> lead field
    unknown: list[str]  # headers neither recognised nor mapped: ignored
    ignored: list[str] = field(default_factory=list)  # mapped to IGNORE by the caller

    def missing_required(self) -> list[str]:
        present = set(self.fields.values())
        return [FIELD_LABELS[n] for n in ("topic", "last_name") if n not in present]

    def describe(self) -> list[tuple[str, str]]:
        """(header, field label or "ignored") for each column, in file order."""
        out = []
        for index, header in enumerate(self.headers):
            name = self.fields.get(index)
            out.append((header, FIELD_LABELS[name] if name else "ignored"))
        return out


def map_columns(headers: list[str], overrides: dict[str, str] | None = None) -> ColumnMap:
    """Map each header to a lead field; `overrides` maps a header (as written, or
    read alike) to a field name or label, or to `IGNORE`.

    Raises `ValidationError` when an override names no column or no field, or when
    two columns would feed one field.
    """
    overrides = dict(overrides or {})
    wanted: dict[int, str] = {}
    errors: dict[str, str] = {}
    by_key = {header_key(h): i for i, h in enumerate(headers)}
    for column, target in overrides.items():
        index = by_key.get(header_key(column))
        if index is None:
            errors[column] = f"The file has no column {column!r}."
            continue
        target = target.strip()
        if target in (IGNORE, ""):
            wanted[index] = IGNORE
            continue
        name = HEADER_ALIASES.get(header_key(target))
        if name is None:
            errors[column] = (
                f"{target!r} is not a lead field; use one of: {', '.join(LEAD_FORM_FIELDS)}."
            )
            continue
        wanted[index] = name
    fields: dict[int, str] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    for index, header in enumerate(headers):
        name = wanted.get(index) or HEADER_ALIASES.get(header_key(header))
        if name == IGNORE:
            ignored.append(header)
        elif name is None:
            if header.strip():
                unknown.append(header)
        else:
            fields[index] = name
    seen: dict[str, int] = {}
    hints: dict[str, str] = {}
    for index, name in fields.items():
        if name in seen:
            first = headers[seen[name]]
            errors[headers[index]] = (
                f"Columns {first!r} and {headers[index]!r} both map to {FIELD_LABELS[name]}: "
                "map one of them elsewhere or ignore it."
            )
            hints[headers[index]] = f'--map "{headers[index]}={IGNORE}"'
        seen[name] = index
    if errors:
        raise ValidationError(errors, hints=hints)
    return ColumnMap(list(headers), fields, unknown, ignored)


# --- reading -------------------------------------------------------------------------


class CsvError(ValidationError):
    """The file cannot be read as CSV (binary, empty, an unclosed quote...)."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": message})


def detect_encoding(stream: BinaryIO) -> tuple[str, list[str]]:
    """("utf-8-sig" | "utf-8" | "cp1252", notes) for a seekable byte stream, which is
    read once to the end in blocks and left at its start."""
    start = stream.tell()
    head = stream.read(4)
    stream.seek(start)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", ["UTF-8 with a byte-order mark."]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvError("The file is UTF-16 text: save it as CSV UTF-8 and import that.")
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        while block := stream.read(1 << 20):
            if b"\x00" in block:
                raise CsvError(
                    "The file is not text (it holds NUL bytes): an Excel workbook? "
                    "Save it as CSV and import that."
                )
            decoder.decode(block)
            offset += len(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        stream.seek(start)
        _check_cp1252(stream)
        return "cp1252", [
            f"Not UTF-8 (byte {offset + exc.start:,} is {exc.object[exc.start]:#04x}): "
            "read as Windows-1252. Check accented letters in the preview."
        ]
    finally:
        stream.seek(start)
    return "utf-8", []


def _check_cp1252(stream: BinaryIO) -> None:
    decoder = codecs.getincrementaldecoder("cp1252")()
    try:
        while block := stream.read(1 << 20):
            if b"\x00" in block:
                raise CsvError("The file is not text (it holds NUL bytes).")
            decoder.decode(block)
    except UnicodeDecodeError:
        raise CsvError(
            "The file is neither UTF-8 nor Windows-1252 text: save it as CSV UTF-8."
        ) from None


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the first records of `sample` into the largest
    number of fields, the same in each record (ties: the order of DELIMITERS)."""
    lines = sample.splitlines(keepends=True)
    if len(sample) >= SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last one is probably cut short
    text = "".join(lines)
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r][:20]
        except csv.Error:
            continue
        if not records:
            continue
        width = len(records[0])
        same = sum(1 for r in records if len(r) == width)
        score = (width if width > 1 else 0, same)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass
class CsvFile:
    """An open CSV file, read row by row; the header row is read on opening."""

    name: str
    stream: BinaryIO
    encoding: str
    delimiter: str
    headers: list[str]
    notes: list[str]
    size: int
    _reader: Iterator[list[str]] = field(repr=False)
    _text: io.TextIOWrapper = field(repr=False)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number where the record starts, its fields), blank lines skipped."""
        reader = self._reader
        line = reader.line_num + 1  # type: ignore[attr-defined]
        try:
            for record in reader:
                if record and any(cell.strip() for cell in record):
                    yield line, record
                line = reader.line_num + 1  # type: ignore[attr-defined]
        except csv.Error as exc:
            raise CsvError(f"Line {line}: the file is not valid CSV ({exc}).") from None

    def position(self) -> int:
        """Bytes read so far (for a progress bar; read-ahead makes it approximate)."""
        try:
            return min(self.stream.tell(), self.size)
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self._text.close()


def open_csv(stream: BinaryIO, name: str = "", delimiter: str | None = None) -> CsvFile:
    """Open a seekable byte stream as CSV (the caller opens files: in a served session
    they come from the user's own file area)."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise CsvError("The file is empty.")
    encoding, notes = detect_encoding(stream)
    sample = stream.read(SNIFF_BYTES).decode(encoding, errors="replace")
    stream.seek(0)
    delimiter = delimiter or sniff_delimiter(sample)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        headers = next((r for r in reader if r and any(c.strip() for c in r)), None)
    except csv.Error as exc:
        raise CsvError(f"The header line is not valid CSV ({exc}).") from None
    if headers is None:
        raise CsvError("The file has no header line.")
    headers = [h.strip() for h in headers]
    if len(headers) == 1 and delimiter == ",":
        notes.append("Only one column found: is the delimiter a comma?")
    return CsvFile(name, stream, encoding, delimiter, headers, notes, size, reader, text)


# --- cells to lead fields --------------------------------------------------------------

_FORMULA_START = re.compile(r"'+[=+\-@\t\r]")


_FORMULA_TRIGGER = re.compile(r"'*[=+\-@\t\r]")


def neutralise_formula(text: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @, tab or CR first)
    gets a leading `'`, which spreadsheets show as text; so does one that already
    starts with quotes before such a character, so that `unescape_formula` gives
    back exactly what was written (`'=x` -> `''=x` -> `'=x`)."""
    if text and _FORMULA_TRIGGER.match(text):
        return "'" + text
    return text


def unescape_formula(text: str) -> str:
    """Undo `export`'s formula neutralising: one leading `'` before =, +, -, @, tab or
    CR (or before more quotes that precede one) is dropped."""
    if text[:1] == "'" and _FORMULA_START.match(text):
        return text[1:]
    return text


def cells_to_values(record: list[str], columns: ColumnMap) -> dict[str, object]:
    """The lead field values of one record, as `clean_lead_fields` takes them.

    Choice labels and other CRMs' picklist values become leadq's values (others are
    left for validation to refuse); yes/no words become booleans; a blank rating is
    left out, so the lead gets the default.
    """
    values: dict[str, object] = {}
    width = len(record)
    for index, name in columns.fields.items():
        raw = record[index] if index < width else ""
        text = unescape_formula(raw)
        if name in CHOICE_VALUES:
            key = header_key(text)
            if not key:
                if name == "rating":
                    continue
                values[name] = ""
                continue
            values[name] = CHOICE_VALUES[name].get(key, text.strip())
        elif name == "decision_maker_identified":
            word = text.strip().casefold()
            values[name] = True if word in YES else False if word in NO else text
        else:
            values[name] = text
    return values
