"""Qualifying processes: the list of processes and the hierarchy of the highlighted
one (levels, sub-levels and activities).

A system administrator creates, copies, activates, edits and deletes them here;
everyone else sees them read-only. When the lead qualifying process feature is
off the screen only says so.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, Tree
from textual.widgets.tree import TreeNode

import models
from models import OutlineRow, ProcessSummary

from ..widgets.literal import literal, printable
from .process_form import Field, ProcessFormScreen

ADMIN_ACTIONS = {
    "new_process",
    "copy_process",
    "toggle_active",
    "set_default",
    "edit",
    "add_level",
    "add_sublevel",
    "add_activity",
    "remove",
    "move(-1)",
    "move(1)",
    "move",
}
NodeData = tuple[str, int]  # ("process" | "level" | "activity", id)


def activity_label(row: OutlineRow) -> Text:
    activity = row.activity
    assert activity is not None
    label = Text()
    label.append("● " if activity.required else "○ ")
    label.append(printable(activity.purpose))
    if activity.required:
        label.append(" *", style="bold")
    label.append(
        f"  {activity.days_to_start}→{activity.days_to_finish} d · {activity.role_label}",
        style="dim",
    )
    return label


def level_label(row: OutlineRow) -> Text:
    return Text(printable(row.level.name), style="bold")


class ProcessesScreen(Screen):
    """The qualifying processes (SPEC section 4)."""

    CSS_PATH = "processes.tcss"
    BINDINGS = [
        Binding("n", "new_process", "New", id="processes.new"),
        Binding("c", "copy_process", "Copy", id="processes.copy"),
        Binding("a", "toggle_active", "Active on/off", id="processes.toggle_active"),
        Binding("e", "edit", "Edit", id="processes.edit"),
        Binding("l", "add_level", "Level", id="processes.add_level"),
        Binding("s", "add_sublevel", "Sub-level", id="processes.add_sublevel"),
        Binding("i", "add_activity", "Activity", id="processes.add_activity"),
        Binding("delete", "remove", "Delete", id="processes.remove"),
        Binding("d", "set_default", "Default", show=False, id="processes.set_default"),
        Binding("ctrl+up", "move(-1)", "Move up", show=False, id="processes.move_up"),
        Binding("ctrl+down", "move(1)", "Move down", show=False, id="processes.move_down"),
        Binding("escape", "back", "Back", id="processes.back"),
        Binding("backspace", "back", "Back", show=False, id="processes.back_alt"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.processes: list[ProcessSummary] = []
        self.process_id: int | None = None
        self.feature_on = False

    @property
    def editable(self) -> bool:
        return self.feature_on and models.can_define_processes(self.app.user)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        with Vertical(id="body"):
            yield DataTable(id="process-table", cursor_type="row", zebra_stripes=False)
            yield Static("", id="process-info")
            yield Tree(Text("(no process)"), id="outline")
        yield Static("", id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Qualifying processes"
        table = self.query_one("#process-table", DataTable)
        table.add_column("Name", key="name", width=30)
        table.add_column("Active", key="active", width=6)
        table.add_column("Levels", key="levels", width=6)
        table.add_column("Activities", key="activities", width=10)
        table.add_column("Leads", key="leads", width=5)
        table.add_column("Default", key="default", width=7)
        table.border_title = "Processes"
        tree = self.query_one("#outline", Tree)
        tree.guide_depth = 3
        tree.border_title = "Levels and activities (tab)"
        self.watch(self.app, "data_version", self._data_changed, init=False)
        self.reload()
        table.focus()

    def _data_changed(self, _version: int) -> None:
        self.reload()

    # Loading.
    def reload(self) -> None:
        self.feature_on = models.feature_enabled()
        banner = self.query_one("#banner", Static)
        body = self.query_one("#body")
        if not self.feature_on:
            banner.update(
                Content(
                    "The lead qualifying process feature is off. A system administrator "
                    "can switch it on in Settings (F2)."
                )
            )
            banner.add_class("visible")
            body.display = False
            self.refresh_bindings()
            return
        body.display = True
        if not models.can_define_processes(self.app.user):
            banner.update(
                Content(
                    "Only a system administrator can define qualifying processes; "
                    f"you are a {self.app.user.role_label}. Read-only."
                )
            )
            banner.add_class("visible")
        else:
            banner.update("")
            banner.remove_class("visible")
        self.processes = models.list_processes()
        table = self.query_one("#process-table", DataTable)
        keep = self.process_id
        table.clear()
        for process in self.processes:
            table.add_row(
                Text(printable(process.name)),
                "yes" if process.active else "no",
                str(process.levels),
                f"{process.activities} ({process.required} req)",
                str(process.leads),
                "yes" if process.is_default else "",
                key=str(process.id),
            )
        ids = [p.id for p in self.processes]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        elif ids:
            table.move_cursor(row=0)
        self._show_process(ids[table.cursor_row] if ids else None)
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#process-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        process_id = int(event.row_key.value) if event.row_key.value else None
        if process_id != self.process_id:
            self._show_process(process_id)

    def current(self) -> ProcessSummary | None:
        return next((p for p in self.processes if p.id == self.process_id), None)

    def _show_process(self, process_id: int | None) -> None:
        self.process_id = process_id
        tree = self.query_one("#outline", Tree)
        info = self.query_one("#process-info", Static)
        process = self.current()
        if process is None:
            tree.reset(Text("No qualifying processes yet" + (": press n" if self.editable else "")))
            info.update("")
            return
        selected = self._selected_data(tree)
        parts: list[Content | tuple[str, str]] = []
        if process.description:
            parts.append(literal(process.description))
        status = "active" if process.active else "inactive: cannot be assigned"
        if process.is_default:
            status += " · default for new leads"
        parts.append((("  " if parts else "") + f"({status})", "dim"))
        info.update(Content.assemble(*parts))
        root = Text(printable(process.name), style="bold")
        tree.reset(root, ("process", process.id))
        nodes: dict[int, TreeNode[NodeData]] = {}
        for row in models.process_outline(process.id):
            parent = nodes.get(row.level.parent_id) if row.kind == "level" else nodes[row.level.id]
            parent = parent if parent is not None else tree.root
            if row.kind == "level":
                nodes[row.level.id] = parent.add(
                    level_label(row), ("level", row.level.id), expand=True
                )
            else:
                parent.add_leaf(activity_label(row), ("activity", row.id))
        tree.root.expand()
        if selected is not None:
            self._select_data(tree, selected)

    @staticmethod
    def _selected_data(tree: Tree) -> NodeData | None:
        node = tree.cursor_node
        return node.data if node is not None else None

    def _select_data(self, tree: Tree, data: NodeData) -> None:
        def walk(node: TreeNode[NodeData]) -> TreeNode[NodeData] | None:
            if node.data == data:
                return node
            for child in node.children:
                found = walk(child)
                if found is not None:
                    return found
            return None

        found = walk(tree.root)
        if found is not None:
            self.call_after_refresh(tree.move_cursor, found)

    def _say(self, message: str, *, error: bool = False) -> None:
        line = self.query_one("#message", Static)
        line.set_class(error, "error")
        line.update(literal(("⚠ " if error else "") + message))

    # Which node the tree actions apply to.
    def _tree_target(self) -> NodeData | None:
        tree = self.query_one("#outline", Tree)
        if self.focused is not tree:
            return None
        return self._selected_data(tree)

    def _target_level_id(self) -> int | None:
        """The highlighted level, or the level of the highlighted activity."""
        data = self._tree_target()
        if data is None:
            return None
        kind, item_id = data
        if kind == "level":
            return item_id
        if kind == "activity":
            activity = models.ProcessActivity.get_or_none(models.ProcessActivity.id == item_id)
            return activity.level_id if activity else None
        return None

    # Running a service and reporting its outcome.
    def _run(self, done: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            result = call(self.app.user, *args, **kwargs)
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return None
        self._say(done)
        self.app.data_changed()
        self.reload()
        return result if result is not None else True

    def _form(self, title: str, fields: list[Field], save: Any, done: str) -> None:
        def saved(ok: bool | None) -> None:
            if ok:
                self._say(done)
                self.app.data_changed()
                self.reload()

        self.app.push_screen(ProcessFormScreen(title, fields, save), saved)

    # Actions on processes.
    def action_new_process(self) -> None:
        user = self.app.user

        def save(values: dict[str, Any]) -> None:
            process = models.create_process(user, values["name"], values["description"])
            self.process_id = process.id

        self._form(
            "New qualifying process",
            [
                Field("name", "Name", placeholder="Process name (required)"),
                Field("description", "Description", placeholder="Optional"),
            ],
            save,
            "Process created: add levels (l) and activities (i), then activate it (a).",
        )

    def action_copy_process(self) -> None:
        process = self.current()
        if process is None:
            return
        copy = self._run("", models.copy_process, process.id)
        if copy:
            self.process_id = copy.id
            self.reload()
            self._say(f"Copied as {copy.name} (inactive until you activate it).")

    def action_toggle_active(self) -> None:
        process = self.current()
        if process is None:
            return
        verb = "Deactivated" if process.active else "Activated"
        self._run(
            f"{verb} {process.name}.", models.set_process_active, process.id, not process.active
        )

    def action_set_default(self) -> None:
        process = self.current()
        if process is None:
            return
        if process.is_default:
            self._run("No default process for new leads.", models.set_default_process, None)
        else:
            self._run(f"New leads get {process.name}.", models.set_default_process, process.id)

    def action_edit(self) -> None:
        user = self.app.user
        data = self._tree_target()
        process = self.current()
        if process is None:
            return
        if data is None or data[0] == "process":
            self._form(
                "Edit qualifying process",
                [
                    Field("name", "Name", value=process.name),
                    Field("description", "Description", value=process.description),
                ],
                lambda v: models.update_process(
                    user, process.id, name=v["name"], description=v["description"]
                ),
                "Process saved.",
            )
        elif data[0] == "level":
            level = models.ProcessLevel.get_by_id(data[1])
            self._form(
                "Rename level",
                [Field("name", "Name", value=level.name)],
                lambda v: models.rename_level(user, level.id, v["name"]),
                "Level renamed.",
            )
        else:
            activity = models.ProcessActivity.get_by_id(data[1])
            self._form(
                "Edit activity",
                self._activity_fields(activity),
                lambda v: models.update_activity(user, activity.id, **v),
                "Activity saved.",
            )

    @staticmethod
    def _activity_fields(activity: models.ProcessActivity | None = None) -> list[Field]:
        return [
            Field(
                "purpose",
                "Purpose",
                value=activity.purpose if activity else "",
                placeholder="What to do (required)",
            ),
            Field("required", "Required", "bool", activity.required if activity else True),
            Field(
                "days_to_start", "Days to start", "days", activity.days_to_start if activity else 0
            ),
            Field(
                "days_to_finish",
                "Days to finish",
                "days",
                activity.days_to_finish if activity else 0,
            ),
            Field(
                "responsible_role",
                "Responsible role",
                "role",
                activity.responsible_role if activity else models.Role.SALESPERSON.value,
            ),
        ]

    def action_add_level(self) -> None:
        process = self.current()
        if process is None:
            return
        user = self.app.user
        self._form(
            f"New level in {process.name}",
            [Field("name", "Name")],
            lambda v: models.add_level(user, process.id, v["name"]),
            "Level added.",
        )

    def action_add_sublevel(self) -> None:
        process = self.current()
        level_id = self._target_level_id()
        if process is None:
            return
        if level_id is None:
            self._say("Highlight a level in the hierarchy to add a sub-level under it.", error=True)
            return
        user = self.app.user
        parent = models.ProcessLevel.get_by_id(level_id)
        self._form(
            f"New level under {parent.name}",
            [Field("name", "Name")],
            lambda v: models.add_level(user, process.id, v["name"], parent_id=level_id),
            "Sub-level added.",
        )

    def action_add_activity(self) -> None:
        level_id = self._target_level_id()
        if level_id is None:
            self._say("Highlight a level in the hierarchy to add an activity to it.", error=True)
            return
        user = self.app.user
        level = models.ProcessLevel.get_by_id(level_id)
        self._form(
            f"New activity in {level.name}",
            self._activity_fields(),
            lambda v: models.add_activity(user, level_id, **v),
            "Activity added.",
        )

    def action_remove(self) -> None:
        from .confirm import ConfirmScreen

        process = self.current()
        if process is None:
            return
        data = self._tree_target()
        if data is None or data[0] == "process":
            title, message = "Delete process", f"Delete the qualifying process {process.name}?"

            def run() -> None:
                if self._run(f"Deleted {process.name}.", models.delete_process, process.id):
                    self.process_id = None
                    self.reload()
        elif data[0] == "level":
            level = models.ProcessLevel.get_by_id(data[1])
            title = "Remove level"
            message = f"Remove the level {level.name} with its sub-levels and activities?"

            def run() -> None:
                self._run(f"Removed {level.name}.", models.remove_level, level.id)
        else:
            activity = models.ProcessActivity.get_by_id(data[1])
            title, message = "Remove activity", f"Remove the activity {activity.purpose}?"

            def run() -> None:
                self._run(f"Removed {activity.purpose}.", models.remove_activity, activity.id)

        def answered(yes: bool | None) -> None:
            if yes:
                run()

        self.app.push_screen(
            ConfirmScreen(title, message, confirm_label="Delete", danger=True), answered
        )

    def action_move(self, delta: int) -> None:
        data = self._tree_target()
        if data is None or data[0] == "process":
            return
        self._run("Moved.", models.move_item, data[0], data[1], delta)

    def action_back(self) -> None:
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ADMIN_ACTIONS:
            return self.editable
        return True
