"""Import leads from a CSV file: preview, column mapping, duplicate policy,
progress, summary, undo.

Opening a file (Enter, F5) lists its columns, each with a Select of the lead
fields preset from the recognised headers (`ColumnPicker`); changing one previews
again, so the table shows the rows as they would be stored with that mapping.

The file is a local path, or in a served session (SSH or web) a file of the
user's own file area (copied there by SFTP), never a server path. The preview,
the import and the undo run in thread workers (`models.import_leads` and
friends), so the screen stays responsive; progress comes back through
`call_from_thread`. The reject file goes beside the file (or into the area).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, ProgressBar, Select, Static

import models

from ..part_file import PartFile
from ..widgets.column_picker import ColumnPicker
from ..widgets.literal import literal, printable

PREVIEW_WIDTH = 60  # a preview cell's widest; the table scrolls sideways
POLICY_CHOICES = [
    ("Skip duplicates", "skip"),
    ("Create anyway", "create"),
    ("Update blank fields", "update"),
]


class ImportScreen(Screen[None]):
    """Import leads (palette: "Import leads")."""

    CSS_PATH = "import_leads.tcss"
    TITLE = "Import leads"
    AUTO_FOCUS = "#file"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "preview", "Preview", id="import.preview"),
        Binding("f6", "run_import", "Import", id="import.run"),
        Binding("f8", "undo", "Undo batch", id="import.undo"),
        Binding("escape", "back", "Back / stop", id="import.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.running = False
        self.stop_requested = False
        self.last_summary: models.ImportSummary | None = None
        self.columns_of = ""  # the file the column pickers were made for
        self.preview_shown: models.ImportPreview | None = None
        self.preview_seq = 0

    @property
    def area(self) -> models.FileArea | None:
        return getattr(self.app, "file_area", None)

    def compose(self) -> ComposeResult:
        yield Header()
        hint = "a file in your file area" if self.area is not None else "path of a .csv file"
        with Horizontal(classes="row"):
            yield Static("File", classes="label")
            yield Input(placeholder=hint, id="file", compact=True)
        with Horizontal(classes="row"):
            yield Static("Duplicates", classes="label")
            yield Select(POLICY_CHOICES, value="skip", allow_blank=False, id="policy", compact=True)
        yield Static(Content(self._files_hint()), id="info")
        yield ColumnPicker(id="columns")
        yield DataTable(id="preview", cursor_type="row", zebra_stripes=True)
        yield ProgressBar(total=100, show_eta=False, id="progress")
        yield Static(Content(""), id="summary")
        with Horizontal(classes="row buttons"):
            yield Button("Preview F5", id="do-preview", compact=True)
            yield Button("Import F6", id="do-import", variant="primary", compact=True)
            yield Static("Batch #", classes="label short")
            yield Input(placeholder="number", id="batch", compact=True, type="integer")
            yield Button("Undo F8", id="do-undo", variant="warning", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#preview", DataTable).add_columns("Line", "Check")

    def _files_hint(self) -> str:
        area = self.area
        if area is None:
            return "Type the path of a CSV file and press Enter (F5) to see its columns."
        try:
            names = [f.name for f in area.files() if f.name.lower().endswith((".csv", ".txt"))]
        except models.FileAreaError as exc:
            return exc.message
        if not names:
            return "Your file area has no .csv file yet: copy one there with sftp."
        return "In your file area: " + ", ".join(printable(n) for n in names[:8])

    # ------------------------------------------------------------- the form
    def _form(self) -> tuple[str, str, dict[str, str]] | None:
        name = self.query_one("#file", Input).value.strip()
        if not name:
            self.notify("Name the file to import first.", severity="warning")
            return None
        policy = str(self.query_one("#policy", Select).value)
        return name, policy, self.mapping_for(name)

    def mapping_for(self, name: str) -> dict[str, str]:
        """The columns mapped by hand, if the pickers show this file's columns."""
        if name != self.columns_of:
            return {}
        return self.query_one("#columns", ColumnPicker).mapping()

    def _open(self, name: str) -> tuple[IO[bytes], str]:
        """The file's bytes as a seekable stream, and the name to record."""
        area = self.area
        if area is not None:
            return io.BytesIO(area.read(name)), name
        path = Path(os.path.expanduser(name))
        try:
            return open(path, "rb"), path.name
        except OSError as exc:
            raise models.ValidationError({"file": f"Cannot read {name}: {exc.strerror}."}) from None

    @on(Input.Submitted, "#file")
    def _file_entered(self) -> None:
        self.action_preview()

    @on(Button.Pressed, "#do-preview")
    def _preview_pressed(self) -> None:
        self.action_preview()

    @on(Button.Pressed, "#do-import")
    def _import_pressed(self) -> None:
        self.action_run_import()

    @on(Button.Pressed, "#do-undo")
    def _undo_pressed(self) -> None:
        self.action_undo()

    def action_back(self) -> None:
        if self.running:
            self.stop_requested = True
            self.notify("Stopping after this chunk; what was imported stays (undo it by number).")
        else:
            self.app.pop_screen()

    # ------------------------------------------------------------- preview
    def action_preview(self) -> None:
        form = self._form()
        if form is not None and not self.running:
            self.request_preview(*form)

    def request_preview(self, name: str, policy: str, mapping: dict[str, str]) -> None:
        """Preview in a worker; only the latest request's answer is shown."""
        self.preview_seq += 1
        self._preview(name, policy, mapping, self.preview_seq)

    @on(ColumnPicker.Changed, "#columns")
    def _mapping_changed(self) -> None:
        if self.columns_of and not self.running:
            policy = str(self.query_one("#policy", Select).value)
            self.request_preview(self.columns_of, policy, self.mapping_for(self.columns_of))

    @on(Select.Changed, "#policy")
    def _policy_changed(self) -> None:
        self._mapping_changed()  # the duplicate column of the preview follows the policy

    @work(thread=True, exclusive=True, group="import-preview", exit_on_error=False)
    def _preview(self, name: str, policy: str, mapping: dict[str, str], seq: int) -> None:
        try:
            with models.thread_connection():
                stream, _ = self._open(name)
                with stream:
                    preview = models.preview_import(stream, name, policy=policy, mapping=mapping)
        except models.LeadqError as exc:
            self.app.call_from_thread(self._preview_failed, name, exc, seq)
            return
        self.app.call_from_thread(self._show_preview, name, preview, seq)

    def _preview_failed(self, name: str, exc: models.LeadqError, seq: int) -> None:
        if seq != self.preview_seq:
            return
        if name != self.columns_of:  # another file, or none readable: its columns are not known
            self.columns_of = ""
            self.call_later(self.query_one("#columns", ColumnPicker).show, [], [])
        self.preview_shown = None
        table = self.query_one("#preview", DataTable)
        table.clear(columns=True)
        table.add_columns("Line", "Check")
        self._show_error(exc.message)

    def _show_error(self, message: str) -> None:
        self.query_one("#info", Static).update(literal(message, "bold $error", multiline=True))

    async def _show_preview(self, name: str, preview: models.ImportPreview, seq: int) -> None:
        if seq != self.preview_seq:
            return  # a later change of file or mapping is being previewed
        if name != self.columns_of:
            headers = [header for header, _ in preview.columns]
            await self.query_one("#columns", ColumnPicker).show(headers, preview.column_fields)
            self.columns_of = name
        self.preview_shown = preview
        encoding = {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "cp1252": "Windows-1252"}
        delimiter = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
        mapped = sum(1 for _, label in preview.columns if label != "ignored")
        parts = [
            f"{encoding.get(preview.encoding, preview.encoding)}, "
            f"{delimiter.get(preview.delimiter, preview.delimiter)}-separated; "
            f"{mapped} of {len(preview.columns)} columns mapped."
        ]
        if preview.missing_required:
            parts.append(
                "Every lead needs "
                + " and ".join(preview.missing_required)
                + ": pick the column that holds it."
            )
        parts += [n for n in preview.notes if "byte-order" not in n]
        self.query_one("#info", Static).update(literal(" ".join(parts), multiline=True))
        fields = [field for field in preview.column_fields if field]
        rows = []
        for row in preview.rows:
            if row.errors:
                check = "; ".join(row.errors.values())
            elif row.duplicate:
                check = "duplicate: " + row.duplicate
            else:
                check = "ok"
            cells = [str(row.line), check, *(_shown(row.values.get(f)) for f in fields)]
            rows.append([printable(cell) for cell in cells])
        headings = ["Line", "Check", *(models.FIELD_LABELS[f] for f in fields)]
        table = self.query_one("#preview", DataTable)
        table.clear(columns=True)
        for index, heading in enumerate(headings):  # widths fixed here, not on a later idle
            width = max([len(heading), *(len(cells[index]) for cells in rows)])
            table.add_column(heading, width=min(width, PREVIEW_WIDTH))
        table.add_rows([[Text(cell) for cell in cells] for cells in rows])

    # ------------------------------------------------------------- import
    def action_run_import(self) -> None:
        form = self._form()
        if form is None or self.running:
            return
        self.running, self.stop_requested = True, False
        self.query_one("#progress", ProgressBar).update(total=100, progress=0)
        self._set_summary("Importing...")
        self._run_import(*form)

    @work(thread=True, exclusive=True, group="import-run", exit_on_error=False)
    def _run_import(self, name: str, policy: str, mapping: dict[str, str]) -> None:
        try:
            stream, recorded = self._open(name)
        except models.LeadqError as exc:
            self.app.call_from_thread(self._import_failed, exc.message)
            return
        with stream:
            try:
                rejects = _Rejects(name, self.area)
            except OSError as exc:
                message = f"Cannot write the reject file {_beside(name)}: {exc.strerror}."
                self.app.call_from_thread(self._import_failed, message)
                return
            try:
                with models.thread_connection():
                    summary = models.import_leads(
                        self.app.user,  # type: ignore[attr-defined]
                        stream,
                        recorded,
                        policy=policy,
                        mapping=mapping,
                        reject=rejects.handle,
                        progress=lambda p: self.app.call_from_thread(self._show_progress, p),
                        should_stop=lambda: self.stop_requested,
                    )
            except models.LeadqError as exc:
                rejects.discard()
                self.app.call_from_thread(self._import_failed, exc.message)
                return
            except BaseException:
                rejects.discard()
                raise
        saved = rejects.keep() if summary.rejected or summary.skipped else rejects.discard()
        self.app.call_from_thread(self._show_summary, summary, saved)

    def _show_progress(self, progress: models.ImportProgress) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=100, progress=round(progress.fraction * 100))
        self._set_summary(
            f"{progress.rows:,} rows: {progress.created:,} created, {progress.updated:,} updated, "
            f"{progress.skipped:,} skipped, {progress.rejected:,} rejected"
        )

    def _import_failed(self, message: str) -> None:
        preview = self.preview_shown
        if preview is not None and preview.missing_required and "No column maps" in message:
            message = (
                f"Nothing imported: every lead needs {' and '.join(preview.missing_required)}; "
                "pick the column that holds it."
            )
        self.running = False
        self._show_error(message)
        self._set_summary("Nothing was imported.")

    def _show_summary(self, summary: models.ImportSummary, rejects: str) -> None:
        self.running = False
        self.last_summary = summary
        self.query_one("#progress", ProgressBar).update(total=100, progress=100)
        lines = [line for line in summary.lines() if not line.startswith("Ignored columns")]
        if rejects:
            lines.append(f"Rejected and skipped rows: {rejects}")
        self._set_summary("\n".join(lines))
        if summary.batch_id is not None:
            self.query_one("#batch", Input).value = str(summary.batch_id)
        self.app.data_version += 1  # type: ignore[attr-defined]

    def _set_summary(self, text: str) -> None:
        self.query_one("#summary", Static).update(literal(text, multiline=True))

    # ------------------------------------------------------------- undo
    def action_undo(self) -> None:
        text = self.query_one("#batch", Input).value.strip()
        if not text.isdigit():
            self.notify("Type the number of the import to undo.", severity="warning")
            return
        if not self.running:
            self._undo(int(text))

    @work(thread=True, exclusive=True, group="import-undo", exit_on_error=False)
    def _undo(self, batch_id: int) -> None:
        try:
            with models.thread_connection():
                result = models.undo_import(self.app.user, batch_id)  # type: ignore[attr-defined]
        except models.LeadqError as exc:
            self.app.call_from_thread(self._show_error, exc.message)
            return
        self.app.call_from_thread(self._undone, result)

    def _undone(self, result: Any) -> None:
        self._set_summary("\n".join(result.lines()))
        self.app.data_version += 1  # type: ignore[attr-defined]


def _shown(value: object) -> str:
    """A stored value as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _beside(name: str) -> Path:
    path = Path(os.path.expanduser(name))
    return path.with_name(f"{path.stem}-rejected.csv")


class _Rejects:
    """Where an import's rejected and skipped rows go. Locally: a hidden partial file
    beside the imported one, streamed (a long import's rejects never sit in memory),
    renamed `NAME-rejected.csv` at the end; raises OSError when that folder cannot
    be written, before anything is imported. In a served session: the user's file
    area, under a name not taken yet, within the quotas."""

    def __init__(self, name: str, area: models.FileArea | None) -> None:
        self.name, self.area = name, area
        self.part: PartFile | None = None
        if area is not None:
            self.handle: IO[str] = io.StringIO()
            return
        self.part = PartFile(_beside(name))
        self.handle = self.part.handle

    def discard(self) -> str:
        if self.part is not None:
            self.part.discard()
        return ""

    def keep(self) -> str:
        """Where the rows were saved, or why they were not, for the summary."""
        if self.part is not None:
            try:
                self.part.publish(replace=True)
            except OSError as exc:
                return f"not saved ({exc.strerror})"
            return str(self.part.target)
        assert self.area is not None
        data = self.handle.getvalue().encode("utf-8")  # type: ignore[attr-defined]
        stem = Path(self.name).stem
        names = [f"{stem}-rejected.csv"] + [f"{stem}-rejected-{n}.csv" for n in range(2, 100)]
        try:
            saved = self.area.write_first_free(names, data)
        except models.NameTaken:
            return f"not saved: {names[0]} to {names[-1]} are all taken"
        except models.FileAreaError as exc:
            return f"not saved: {exc.message}"
        return f"{saved.name} in your file area"
