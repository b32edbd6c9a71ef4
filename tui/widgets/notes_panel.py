"""Notes on a lead, account, contact or opportunity: read, add, attach, save back.

On an opportunity the list also holds the notes carried over from the lead it
came from, marked "from lead". Every error from the services is shown in the
panel's own message line. The screen hosting the panel reads the notes
(`models.NoteView`, part of its view); adding a note (reading the file, up to
25 MB, and storing it) and saving an attachment run in workers.

Locally a file is attached from, and saved to, a path. In a served session
(`app.file_area` is set) there are no paths: the file to attach is picked from
a list of the files in the user's file area, and an attachment is saved into it
under a name.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

import models

from ..loading import run_service
from .history import when
from .literal import literal, printable

NoteTarget = tuple[str, int]
"""The record the notes are on: (kind, id)."""


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def note_prompt(note: models.NoteView, *, served: bool = False) -> Content:
    """One note as the list shows it: author, time, marker, text, attachment."""
    head: list[Content | tuple[str, str]] = [
        literal(note.author or "(deleted user)", "bold"),
        (f" · {when(note.created_at)}", ""),
    ]
    if note.from_lead:
        head.append(("  [from lead]", "bold italic"))
    lines = [Content.assemble(*head)]
    if (note.text or "").strip():
        lines.append(literal(note.text.rstrip(), multiline=True))
    if note.attachment_name:
        lines.append(
            Content.assemble(
                ("Attachment: ", "italic"),
                literal(note.attachment_name, "underline"),
                (f" ({size_label(note.attachment_size)})  {_save_hint(served)}", "dim"),
            )
        )
    return Content("\n").join(lines)


def _save_hint(served: bool) -> str:
    return "s: save to your file area" if served else "s: save to a path"


NO_FILE = "No file (pick one from your file area)"


def _add_note(
    user: models.User,
    target: NoteTarget,
    text: str,
    read: tuple[models.FileArea, str] | str | None,
) -> str | None:
    """Read the file to attach (a name in a file area, or a path) and add the note
    (runs in a worker: the file may be 25 MB); the attached file's name. The bytes
    stay in the worker."""
    if isinstance(read, tuple):
        attachment = models.read_area_attachment(*read)
    else:
        attachment = models.read_attachment(read) if read else None
    models.add_note(user, models.note_target(*target), text, attachment)
    return attachment[0] if attachment else None


def _save_attachment(note_id: int, area: models.FileArea | None, path: str) -> str:
    """Write the attachment to the file area or a path; what the user reads then."""
    if area is not None:
        return f"your file area as {models.save_attachment_to_area(note_id, area, path).name}"
    return str(models.save_attachment(note_id, path))


class NoteComposer(Vertical):
    """The new note's text and attachment: ctrl+s adds it, as ctrl+s saves a form."""

    BINDINGS = [Binding("ctrl+s", "add_note", "Add note", id="notes.add")]

    async def action_add_note(self) -> None:
        await self.query_ancestor(NotesPanel).add_note()


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
    NotesPanel .note-row Input, NotesPanel .note-row Select {
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
        self.notes: list[models.NoteView] = []
        self.read_only_reason = ""
        self._area_listing: list[tuple[str, int]] | None = None

    @property
    def file_area(self) -> models.FileArea | None:
        """The served session's file area; None when leadq runs locally."""
        return getattr(self.app, "file_area", None)

    def compose(self) -> ComposeResult:
        served = self.file_area is not None
        with NoteComposer(id="composer"):
            if served:
                yield Static("New note (tab moves on; Add note or ctrl+s saves):")
            else:
                yield Static(
                    "New note (tab moves on; Add note, ctrl+s or enter in the path saves):"
                )
            yield TextArea(id="note-text", compact=True, soft_wrap=True)
            with Horizontal(classes="note-row"):
                if served:
                    yield Select[str]([], prompt=NO_FILE, id="attach-file", compact=True)
                else:
                    yield Input(
                        placeholder="File to attach (path, optional)",
                        id="attach-path",
                        compact=True,
                    )
                yield Button("Add note", id="add-note", compact=True, variant="primary")
        yield Static("", id="note-message")
        yield OptionList(id="note-list")
        with Horizontal(id="save-row", classes="note-row"):
            yield Input(
                placeholder="Save as (a name in your file area)"
                if served
                else "Save attachment to (path)",
                id="save-path",
                compact=True,
            )
            yield Button("Save", id="save-to-path", compact=True)

    # The served session's file area.
    def refresh_area_files(self) -> None:
        """List the files now in the area (they come and go by SFTP)."""
        area = self.file_area
        if area is None:
            return
        select = self.query_one("#attach-file", Select)
        if select.expanded:
            return  # never change the list under the user's cursor
        try:
            files = area.files()
        except models.LeadqError as error:
            self._say(str(error), error=True)
            files = []
        listing = [(f.name, f.size) for f in files]
        if listing == self._area_listing:
            return
        self._area_listing = listing
        with select.prevent(Select.Changed):  # a refresh is not a pick
            chosen = select.value
            select.set_options(
                (Content.assemble(literal(f.name), (f"  {size_label(f.size)}", "dim")), f.name)
                for f in files
            )
            select.prompt = NO_FILE if files else "No files in your file area (upload with sftp)"
            if chosen != Select.NULL and any(f.name == chosen for f in files):
                select.value = chosen

    @on(Select.Changed, "#attach-file")
    def _file_chosen(self, event: Select.Changed) -> None:
        """A file picked from the list: Add note is the next step, so it takes the
        focus (after the list's own return of focus to itself)."""
        event.stop()
        if event.value != Select.NULL:
            self.call_after_refresh(self.query_one("#add-note", Button).focus)

    def on_descendant_focus(self, event: object) -> None:
        if self.file_area is not None and self.screen.focused is self.query_one("#attach-file"):
            self.refresh_area_files()

    # Loading.
    def show_view(
        self, target: NoteTarget, notes: tuple[models.NoteView, ...], read_only_reason: str = ""
    ) -> None:
        """Show the notes of `target`; with a reason, no notes can be added."""
        self.target = target
        self.read_only_reason = read_only_reason
        # The class without a restyle of the whole panel (most of the cost of showing
        # a closed record after an open one): the composer is hidden directly.
        self.set_class(bool(read_only_reason), "-read-only", update=False)
        self.query_one("#composer").display = not read_only_reason
        self.notes = list(notes)
        notes_list = self.query_one("#note-list", OptionList)
        highlighted = notes_list.highlighted
        notes_list.clear_options()
        if not self.notes:
            notes_list.add_option(Option(Content("No notes yet."), disabled=True))
        else:
            options: list[Option | None] = []
            served = self.file_area is not None
            for note in self.notes:
                if options:
                    options.append(None)
                options.append(Option(note_prompt(note, served=served), id=str(note.id)))
            notes_list.add_options(options)
            # Options are notes with separators between them: note i is option 2*i.
            index = highlighted if highlighted is not None else 0
            notes_list.highlighted = min(index, notes_list.option_count - 1)
        if read_only_reason and not self.query_one("#note-message", Static).has_class("error"):
            self._say(read_only_reason)
        self.refresh_area_files()

    def draft(self) -> list[str]:
        """["a note you have not added"] while the composer holds text, else []."""
        typed = self.query_one("#note-text", TextArea).text.strip()
        return ["a note you have not added"] if typed else []

    def focus_composer(self) -> None:
        if self.read_only_reason:
            self._say(self.read_only_reason, error=True)
            self.query_one("#note-list", OptionList).focus()
        else:
            self.query_one("#note-text", TextArea).focus()

    def reset(self) -> None:
        """Forget the last record: its composed note, messages and save row (the
        panel is about to show another record)."""
        self.target = None
        self.query_one("#note-text", TextArea).clear()
        if self.file_area is not None:
            self.query_one("#attach-file", Select).clear()
        else:
            self.query_one("#attach-path", Input).value = ""
        self._say("")
        self.query_one("#save-row").remove_class("visible")

    def _say(self, message: str, *, error: bool = False) -> None:
        line = self.query_one("#note-message", Static)
        line.set_class(error, "error")
        line.update(literal(("⚠ " if error else "") + message))

    # Adding.
    @on(Input.Submitted, "#attach-path")
    @on(Button.Pressed, "#add-note")
    async def add_note(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        """Add the composed note (and attached file, if one is given).

        The file is read and stored in a worker; the hosting screen shows the new
        note when it reloads on the change."""
        if event is not None:
            event.stop()
        if self.target is None:
            return
        text_area = self.query_one("#note-text", TextArea)
        self._say("Adding the note…")
        try:
            attached = await run_service(
                self.app,
                _add_note,
                self.app.user,
                self.target,
                text_area.text,
                self._attachment(),
                changes=True,
            )
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return
        text_area.clear()
        if self.file_area is not None:
            self.query_one("#attach-file", Select).clear()
        else:
            self.query_one("#attach-path", Input).value = ""
        self._say(f"Note added with {attached}." if attached else "Note added.")

    def _attachment(self) -> tuple[models.FileArea, str] | str | None:
        """The file to attach: a name picked from the file area when served, else a
        path (read in the worker)."""
        area = self.file_area
        if area is not None:
            chosen = self.query_one("#attach-file", Select).value
            return None if chosen == Select.NULL else (area, str(chosen))
        return self.query_one("#attach-path", Input).value.strip() or None

    # Saving an attachment back to a file.
    def selected_note(self) -> models.NoteView | None:
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
        save_path.border_title = literal(note.attachment_name)
        save_path.focus()
        if self.file_area is not None:
            save_path.value = printable(note.attachment_name)
            self._say(
                f"Save {note.attachment_name} in your file area as: edit the name, then enter."
            )
        else:
            save_path.value = printable(Path.cwd() / note.attachment_name)
            self._say(f"Save {note.attachment_name} to: edit the path, then enter.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save_attachment":
            focused = self.screen.focused
            return not isinstance(focused, Input | TextArea)
        return True

    @on(Input.Submitted, "#save-path")
    @on(Button.Pressed, "#save-to-path")
    async def save_to_path(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        note = self.selected_note()
        if note is None:
            self._say("Highlight a note with an attachment to save it.", error=True)
            return
        area = self.file_area
        typed = self.query_one("#save-path", Input).value
        path = typed.strip() if area is None else typed
        if not path:
            what = "name to save the attachment as" if area else "path to save the attachment to"
            self._say(f"Type the {what}.", error=True)
            return
        try:
            where = await run_service(self.app, _save_attachment, note.id, area, path)
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return
        self.query_one("#save-row").remove_class("visible")
        self.query_one("#note-list", OptionList).focus()
        self._say(f"Saved {note.attachment_name} to {where}.")
        self.refresh_area_files()
