"""Qualifying processes: the list of processes and the hierarchy of the highlighted
one (levels, sub-levels and activities).

A system administrator creates, copies, activates, edits and deletes them here;
everyone else sees them read-only. When the lead qualifying process feature is
off the screen only says so. The screen shows one `models.ProcessesView`, read
in a worker (`ViewScreen`); services and the items to edit are read the same
way, and an item removed in another session is said, never a crash.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Header, Static, Tree
from textual.widgets.tree import TreeNode

import models
from models import ProcessSummary, TreeRow

from ..loading import ViewScreen, run_service
from ..widgets.footer import KeyFooter
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


def activity_label(activity: TreeRow) -> Text:
    label = Text()
    label.append("● " if activity.required else "○ ")
    label.append(printable(activity.name))
    if activity.required:
        label.append(" *", style="bold")
    label.append(
        f"  {activity.days_to_start}→{activity.days_to_finish} d · {activity.role_label}",
        style="dim",
    )
    return label


def level_label(row: TreeRow) -> Text:
    return Text(printable(row.name), style="bold")


class ProcessesScreen(ViewScreen):
    """The qualifying processes (SPEC section 4)."""

    CSS_PATH = "processes.tcss"
    KIND = "item"
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
        self.tree_rows: tuple[TreeRow, ...] = ()
        self.feature_on = False

    @property
    def editable(self) -> bool:
        return self.view is not None and self.view.editable

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        with Vertical(id="body"):
            yield DataTable(id="process-table", cursor_type="row", zebra_stripes=False)
            yield Static("", id="process-info")
            yield Tree(Text("(no process)"), id="outline")
        yield Static("", id="message")
        yield KeyFooter()

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
        self.watch_data()
        self.reload()
        table.focus()

    def refill(self) -> None:
        self._say("")
        super().refill()

    # Loading.
    def read_view(self) -> models.ProcessesView:
        return models.processes_view(self.app.user, self.process_id)

    def show_view(self, view: models.ProcessesView) -> None:
        self.feature_on = view.feature_on
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
        if not view.editable:
            refusal = models.admin_only(self.app.user, models.DEFINE_PROCESSES, you=True)
            banner.update(Content(f"{refusal.reason} Read-only."))
            banner.add_class("visible")
        else:
            banner.update("")
            banner.remove_class("visible")
        self.processes = list(view.processes)
        self.process_id = view.process_id
        table = self.query_one("#process-table", DataTable)
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
        if self.process_id in ids:
            with table.prevent(DataTable.RowHighlighted):
                table.move_cursor(row=ids.index(self.process_id))
        self._show_tree(view.tree)
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#process-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        process_id = int(event.row_key.value) if event.row_key.value else None
        if process_id != self.process_id and process_id is not None:
            self.process_id = process_id
            self.reload()

    def current(self) -> ProcessSummary | None:
        return next((p for p in self.processes if p.id == self.process_id), None)

    def _show_tree(self, rows: tuple[TreeRow, ...]) -> None:
        self.tree_rows = rows
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
        for row in rows:
            if row.kind == "level":
                parent = nodes.get(row.parent_level_id) if row.parent_level_id else None
                nodes[row.id] = (parent or tree.root).add(
                    level_label(row), ("level", row.id), expand=True
                )
            else:
                nodes[row.level_id].add_leaf(activity_label(row), ("activity", row.id))
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
        if data is None or data[0] == "process":
            return None
        kind, item_id = data
        row = next((r for r in self.tree_rows if (r.kind, r.id) == (kind, item_id)), None)
        return row.level_id if row is not None else None

    async def _item(self, kind: str, item_id: int) -> models.ProcessItem | None:
        """The level or activity as stored now; None (said) when it is gone."""
        try:
            return await run_service(self.app, models.process_item, kind, item_id)
        except models.LeadqError as error:
            self._say(f"{error} It was removed in another session.", error=True)
            self.reload()
            return None

    # Running a service and reporting its outcome.
    async def _run(self, done: str, call: Any, *args: Any) -> Any:
        try:
            result = await run_service(self.app, call, self.app.user, *args, changes=True)
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return None
        self._say(done)
        return result if result is not None else True

    def _form(self, title: str, fields: list[Field], save: Any, done: str) -> None:
        def saved(ok: bool | None) -> None:
            if ok:
                self._say(done)

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

    async def action_copy_process(self) -> None:
        process = self.current()
        if process is None:
            return
        copy = await self._run("", models.copy_process, process.id)
        if copy:
            self.process_id = copy.id
            self.reload()
            self._say(f"Copied as {copy.name} (inactive until you activate it).")

    async def action_toggle_active(self) -> None:
        process = self.current()
        if process is None:
            return
        verb = "Deactivated" if process.active else "Activated"
        await self._run(
            f"{verb} {process.name}.", models.set_process_active, process.id, not process.active
        )

    async def action_set_default(self) -> None:
        process = self.current()
        if process is None:
            return
        if process.is_default:
            await self._run("No default process for new leads.", models.set_default_process, None)
        else:
            await self._run(
                f"New leads get {process.name}.", models.set_default_process, process.id
            )

    async def action_edit(self) -> None:
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
            return
        item = await self._item(*data)
        if item is None:
            return
        if item.kind == "level":
            self._form(
                "Rename level",
                [Field("name", "Name", value=item.name)],
                lambda v: models.rename_level(user, item.id, v["name"]),
                "Level renamed.",
            )
        else:
            self._form(
                "Edit activity",
                self._activity_fields(item),
                lambda v: models.update_activity(user, item.id, **v),
                "Activity saved.",
            )

    @staticmethod
    def _activity_fields(activity: models.ProcessItem | None = None) -> list[Field]:
        return [
            Field(
                "purpose",
                "Purpose",
                value=activity.name if activity else "",
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

    async def action_add_sublevel(self) -> None:
        process = self.current()
        level_id = self._target_level_id()
        if process is None:
            return
        if level_id is None:
            self._say("Highlight a level in the hierarchy to add a sub-level under it.", error=True)
            return
        parent = await self._item("level", level_id)
        if parent is None:
            return
        user = self.app.user
        self._form(
            f"New level under {parent.name}",
            [Field("name", "Name")],
            lambda v: models.add_level(user, process.id, v["name"], parent_id=level_id),
            "Sub-level added.",
        )

    async def action_add_activity(self) -> None:
        level_id = self._target_level_id()
        if level_id is None:
            self._say("Highlight a level in the hierarchy to add an activity to it.", error=True)
            return
        level = await self._item("level", level_id)
        if level is None:
            return
        user = self.app.user
        self._form(
            f"New activity in {level.name}",
            self._activity_fields(),
            lambda v: models.add_activity(user, level_id, **v),
            "Activity added.",
        )

    async def action_remove(self) -> None:
        from .confirm import ConfirmScreen

        process = self.current()
        if process is None:
            return
        data = self._tree_target()
        if data is None or data[0] == "process":
            title, message = "Delete process", f"Delete the qualifying process {process.name}?"
            done, call, target = f"Deleted {process.name}.", models.delete_process, process.id
        else:
            item = await self._item(*data)
            if item is None:
                return
            target = item.id
            if item.kind == "level":
                title = "Remove level"
                message = f"Remove the level {item.name} with its sub-levels and activities?"
                done, call = f"Removed {item.name}.", models.remove_level
            else:
                title, message = "Remove activity", f"Remove the activity {item.name}?"
                done, call = f"Removed {item.name}.", models.remove_activity

        async def answered(yes: bool | None) -> None:
            if yes and await self._run(done, call, target) and call is models.delete_process:
                self.process_id = None
                self.reload()

        self.app.push_screen(
            ConfirmScreen(title, message, confirm_label="Delete", danger=True), answered
        )

    async def action_move(self, delta: int) -> None:
        data = self._tree_target()
        if data is None or data[0] == "process":
            return
        await self._run("Moved.", models.move_item, data[0], data[1], delta)

    def action_back(self) -> None:
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ADMIN_ACTIONS:
            return self.editable
        return True
