"""Notes and attachments on leads, accounts, contacts and opportunities."""

from __future__ import annotations

from pathlib import Path

from .audit import record
from .entities import Account, Contact, Lead, Note, Opportunity, User
from .errors import NotFound, ValidationError, no_raw_errors
from .file_area import AreaFile, FileArea, check_name
from .locks import locked
from .permissions import can
from .validation import unstorable

NOTE_MAX = 100_000
ATTACHMENT_MAX = 25 * 1024 * 1024
_TARGETS = {Lead: "lead", Account: "account", Contact: "contact", Opportunity: "opportunity"}

NoteTarget = Lead | Account | Contact | Opportunity


def read_attachment(path: str | Path) -> tuple[str, bytes]:
    """(file name, bytes) of a file to attach, with readable errors."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValidationError({"attachment": f"There is no file at {str(file)!r}."})
    size = file.stat().st_size
    if size > ATTACHMENT_MAX:
        raise ValidationError(
            {"attachment": f"{file.name} is {size:,} bytes; attachments are at most 25 MB."}
        )
    try:
        return file.name, file.read_bytes()
    except OSError as exc:
        raise ValidationError({"attachment": f"Cannot read {file}: {exc.strerror}."}) from None


def read_area_attachment(area: FileArea, name: str) -> tuple[str, bytes]:
    """(file name, bytes) of a file in a served session's file area, to attach."""
    return check_name(name), area.read(name, max_size=ATTACHMENT_MAX)


@no_raw_errors
def add_note(
    actor: User,
    target: NoteTarget,
    text: str,
    attachment: tuple[str, bytes] | None = None,
) -> Note:
    """Add a note (and optionally a file) to a record. A closed lead takes no notes."""
    column = _TARGETS.get(type(target))
    if column is None:
        raise ValidationError({"target": "Notes go on a lead, account, contact or opportunity."})
    text = text or ""
    problem = unstorable(text)
    if problem:
        raise ValidationError({"text": f"The note contains {problem}, which cannot be stored."})
    if not text.strip() and attachment is None:
        raise ValidationError({"text": "Write something or attach a file."})
    if len(text) > NOTE_MAX:
        raise ValidationError(
            {"text": f"The note is too long: {len(text):,} characters, at most {NOTE_MAX:,}."}
        )
    name, data = attachment if attachment is not None else (None, None)
    if attachment is not None:
        name = Path(name or "").name.strip()
        problem = unstorable(name)
        if problem:
            raise ValidationError({"attachment": f"The file name contains {problem}."})
        if not name:
            raise ValidationError({"attachment": "The attachment needs a file name."})
        if len(data) > ATTACHMENT_MAX:
            raise ValidationError({"attachment": "Attachments are at most 25 MB."})
    db = Note._meta.database
    with db.atomic():
        fresh = locked(type(target), target.id)  # a lead qualified meanwhile takes no note
        if fresh is None:
            raise NotFound(f"This {column} no longer exists.")
        can(actor, "add_note", fresh).enforce()
        note = Note.create(
            text=text,
            attachment_name=name,
            attachment_data=data,
            author=actor,
            **{column: fresh},
        )
        what = f"attachment {name}" if name else "note"
        record(actor, "note_added", fresh, f"Added {what}")
    return note


def attachment_bytes(note_id: int) -> tuple[str, bytes]:
    note = Note.get_or_none(Note.id == note_id)
    if note is None or note.attachment_name is None:
        raise NotFound("This note has no attachment.")
    return note.attachment_name, bytes(note.attachment_data)


def save_attachment(note_id: int, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a note's attached file to `path` (a directory takes the file's own name)."""
    name, data = attachment_bytes(note_id)
    target = Path(path).expanduser()
    if target.is_dir():
        target = target / name
    if target.exists() and not overwrite:
        raise ValidationError({"path": f"{target} already exists; choose another path."})
    if not target.parent.is_dir():
        raise ValidationError({"path": f"The folder {target.parent} does not exist."})
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise ValidationError({"path": f"Cannot write {target}: {exc.strerror}."}) from None
    return target


def save_attachment_to_area(note_id: int, area: FileArea, name: str) -> AreaFile:
    """Write a note's attached file into a file area as `name` (a name, not a path);
    an existing file of that name is refused."""
    check_name(name)
    _original, data = attachment_bytes(note_id)
    return area.write(name, data)
