"""Notes on a lead, account, contact or opportunity: read, add, attach, save back.

On an opportunity the list also holds the notes carried over from the lead it
came from, marked "from lead". Every error from the services is shown in the
panel's own message line.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

import models

from .history import when
from .literal import literal, printable

NoteTarget = models.Lead | models.Account | models.Contact | models.Opportunity


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def attachment_size(note: models.Note) -> int:
    """The attachment's size, read by `models.notes_to_show` without its bytes."""
    size = getattr(note, "attachment_bytes", None)
    return int(size) if size is not None else note.attachment_size


def note_prompt(note: models.Note, target: NoteTarget) -> Content:
    """One note as the list shows it: author, time, marker, text, attachment."""
    author = str(note.author) if note.author_id else "(deleted user)"
    head: list[Content | tuple[str, str]] = [
        literal(author, "bold"),
        (f" · {when(note.created_at)}", ""),
    ]
    if isinstance(target, models.Opportunity) and note.is_from_lead_of(target):
        head.append(("  [from lead]", "bold italic"))
    lines = [Content.assemble(*head)]
    if (note.text or "").strip():
        lines.append(literal(note.text.rstrip(), multiline=True))
    if note.attachment_name:
        lines.append(
            Content.assemble(
                ("Attachment: ", "italic"),
                literal(note.attachment_name, "underline"),
                (f" ({size_label(attachment_size(note))})  s: save to a path", "dim"),
            )
        )
    return Content("\n").join(lines)


class NotesPanel(Vertical):
    """The notes of one record, newest first, with a composer above them."""

    DEFAULT_CSS = """
    NotesPanel {
        height: 1fr;
    }
    NotesPanel #composer {
        height: auto;
    }
    NotesPanel #note-text {
        height: 3;
    }
    NotesPanel .note-row {
        height: auto;
    }
    NotesPanel .note-row Input {
        width: 1fr;
    }
    NotesPanel .note-row Button {
        min-width: 12;
        margin: 0 0 0 1;
    }
    NotesPanel #note-message {
        height: auto;
        padding: 0 1;
    }
    NotesPanel #note-message.error {
        text-style: bold;
        color: $text-error;
    }
    NotesPanel #note-list {
        height: 1fr;
        min-height: 4;
    }
    NotesPanel #note-list > .option-list--option {
        padding: 0 1;
    }
    NotesPanel #save-row {
        display: none;
    }
    NotesPanel #save-row.visible {
        display: block;
    }
    NotesPanel.-read-only #composer {
        display: none;
    }
    """

    BINDINGS = [
        Binding("s", "save_attachment", "Save attachment", id="notes.save_attachment"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.target: NoteTarget | None = None
        self.notes: list[models.Note] = []
        self.read_only_reason = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="composer"):
            yield Static("New note (tab moves on; enter in the path field or Add note saves):")
            yield TextArea(id="note-text", compact=True, soft_wrap=True)
            with Horizontal(classes="note-row"):
                yield Input(
                    placeholder="File to attach (path, optional)", id="attach-path", compact=True
                )
                yield Button("Add note", id="add-note", compact=True, variant="primary")
        yield Static("", id="note-message")
        yield OptionList(id="note-list")
        with Horizontal(id="save-row", classes="note-row"):
            yield Input(placeholder="Save attachment to (path)", id="save-path", compact=True)
            yield Button("Save", id="save-to-path", compact=True)

    # Loading.
    def show_notes(self, target: NoteTarget, *, read_only_reason: str = "") -> None:
        """Show the notes of `target`; with a reason, no notes can be added."""
        self.target = target
        self.read_only_reason = read_only_reason
        self.set_class(bool(read_only_reason), "-read-only")
        self.notes = models.notes_to_show(target)
        notes_list = self.query_one("#note-list", OptionList)
        highlighted = notes_list.highlighted
        notes_list.clear_options()
        if not self.notes:
            notes_list.add_option(Option(Content("No notes yet."), disabled=True))
        else:
            options: list[Option | None] = []
            for note in self.notes:
                if options:
                    options.append(None)
                options.append(Option(note_prompt(note, target), id=str(note.id)))
            notes_list.add_options(options)
            # Options are notes with separators between them: note i is option 2*i.
            index = highlighted if highlighted is not None else 0
            notes_list.highlighted = min(index, notes_list.option_count - 1)
        if read_only_reason and not self.query_one("#note-message", Static).has_class("error"):
            self._say(read_only_reason)

    def focus_composer(self) -> None:
        if self.read_only_reason:
            self._say(self.read_only_reason, error=True)
            self.query_one("#note-list", OptionList).focus()
        else:
            self.query_one("#note-text", TextArea).focus()

    def _say(self, message: str, *, error: bool = False) -> None:
        line = self.query_one("#note-message", Static)
        line.set_class(error, "error")
        line.update(literal(("⚠ " if error else "") + message))

    # Adding.
    @on(Input.Submitted, "#attach-path")
    @on(Button.Pressed, "#add-note")
    def add_note(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        """Add the composed note (and attached file, if a path is given)."""
        if event is not None:
            event.stop()
        if self.target is None:
            return
        text_area = self.query_one("#note-text", TextArea)
        path_input = self.query_one("#attach-path", Input)
        path = path_input.value.strip()
        try:
            attachment = models.read_attachment(path) if path else None
            models.add_note(self.app.user, self.target, text_area.text, attachment)
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return
        text_area.clear()
        path_input.value = ""
        self._say(f"Note added with {attachment[0]}." if attachment else "Note added.")
        self.show_notes(self.target, read_only_reason=self.read_only_reason)
        self.app.data_changed()

    # Saving an attachment back to a file.
    def selected_note(self) -> models.Note | None:
        index = self.query_one("#note-list", OptionList).highlighted
        option_list = self.query_one("#note-list", OptionList)
        if index is None:
            return None
        option_id = option_list.get_option_at_index(index).id
        return next((n for n in self.notes if str(n.id) == option_id), None)

    def action_save_attachment(self) -> None:
        note = self.selected_note()
        if note is None or not note.attachment_name:
            self._say("Highlight a note with an attachment to save it.", error=True)
            return
        self.query_one("#save-row").add_class("visible")
        save_path = self.query_one("#save-path", Input)
        save_path.value = printable(Path.cwd() / note.attachment_name)
        save_path.border_title = literal(note.attachment_name)
        save_path.focus()
        self._say(f"Save {note.attachment_name} to: edit the path, then enter.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save_attachment":
            focused = self.screen.focused
            return not isinstance(focused, Input | TextArea)
        return True

    @on(Input.Submitted, "#save-path")
    @on(Button.Pressed, "#save-to-path")
    def save_to_path(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        note = self.selected_note()
        if note is None:
            self._say("Highlight a note with an attachment to save it.", error=True)
            return
        path = self.query_one("#save-path", Input).value.strip()
        if not path:
            self._say("Type the path to save the attachment to.", error=True)
            return
        try:
            written = models.save_attachment(note.id, path)
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return
        self.query_one("#save-row").remove_class("visible")
        self.query_one("#note-list", OptionList).focus()
        self._say(f"Saved {note.attachment_name} to {written}.")
