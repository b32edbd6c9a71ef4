"""Parsed CSS shared by the apps of one process (tui/shared_css.py), which the session
factory fills before it forks: the rules are those Textual parses itself, for the
theme in use (a theme change is never served stale rules), and a session started
after the factory's parse parses nothing on its way to the lead list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode

import models
import tui.app
from tui import shared_css
from tui.preferences import save_preference
from tui.screens.lead_list import LeadListScreen
from tui.shared_css import SharedStylesheet, css_variables, default_css_sources, subclasses
from tui.ssh import factory

from ..helpers import make_app, settle, wait_until

NESTED = """
Panel {
    color: $primary;
    &:focus { background: $panel; }
    .title { text-style: bold; & > Label { color: $accent; } }
}
#x, .y:hover { margin: 1 2; }
"""


def described(rules: list[RuleSet]) -> list[tuple[Any, ...]]:
    """What a rule is (its styles by value: a layout object compares by identity)."""
    return [
        (
            rule.selectors,
            {name: repr(value) for name, value in rule.styles._rules.items()},
            rule.styles.important,
            rule.tie_breaker,
            rule.is_default_rules,
            rule.selector_names,
            rule.pseudo_classes,
            [(token.code, message) for token, message in rule.errors],
        )
        for rule in rules
    ]


def import_every_widget() -> None:
    """What the factory imports: every Textual widget and every leadq screen and widget."""
    import importlib
    import pkgutil

    import textual.widgets

    import tui.screens
    import tui.widgets

    for name in textual.widgets.__all__:
        getattr(textual.widgets, name)
    for package in (tui.screens, tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")


def variables(theme: str) -> dict[str, str]:
    from textual.app import App

    app = App()
    app.theme = theme
    return app.get_css_variables()


@pytest.mark.parametrize("tie_breaker", [0, 1, -1, -3, 2])
def test_the_shared_rules_are_those_textual_parses(tie_breaker: int) -> None:
    import_every_widget()
    dark = variables("textual-dark")
    sources = [(NESTED, ("here.py", "Panel.DEFAULT_CSS"), True, "panel")]
    sources += list(default_css_sources(subclasses(DOMNode)))
    assert len(sources) > 100  # every widget class of Textual and of leadq
    shared = SharedStylesheet(variables=dark)
    for css, read_from, is_default, scope in sources:
        own = Stylesheet(variables=dark)._parse_rules(
            css, read_from, is_default, tie_breaker, scope
        )
        assert described(shared._parse_rules(css, read_from, is_default, tie_breaker, scope)) == (
            described(own)
        ), read_from
    nested = shared._parse_rules(*sources[0][:3], tie_breaker, "panel")  # type: ignore[misc]
    assert [r.tie_breaker for r in nested] == [tie_breaker * k for k in (1, 2, 2, 3, 1)]


def test_equal_selectors_and_name_sets_of_the_parsed_rules_are_one_object() -> None:
    """Held once (`shared_css._compact`), frozen: the rules stay those Textual parses
    (the test above), with one `Panel` selector for every rule that starts with it."""
    sheet = SharedStylesheet(variables=variables("textual-dark"))
    css = (
        "Panel Label { color: red; } Panel .title:focus { color: blue; } "
        "Panel > Label { margin: 1; }"
    )
    first = sheet._parse_rules(css, ("first.tcss", ""), False, 0, "")
    second = sheet._parse_rules(css.replace("red", "green"), ("second.tcss", ""), False, 0, "")
    rules = first + second
    assert len({id(rule.selector_set[0].selectors[0]) for rule in rules}) == 1  # Panel
    assert first[0].selector_set[0].selectors[1] is second[0].selector_set[0].selectors[1]
    assert first[0].selector_set[0].selectors[1] is not first[2].selector_set[0].selectors[1]
    assert first[0].selector_names is second[0].selector_names == {"Label"}
    assert first[1].pseudo_classes == {"focus"}
    assert first[0].pseudo_classes is second[2].pseudo_classes == frozenset()
    assert all(isinstance(rule.styles.important, frozenset) for rule in rules)
    assert first[1].selector_set[0].selectors[1].pseudo_classes == {"focus"}


def test_a_theme_change_parses_with_the_new_themes_variables() -> None:
    sheet = SharedStylesheet(variables=variables("textual-dark"))
    sheet.add_source(NESTED, ("here.py", "Panel.DEFAULT_CSS"), is_default_css=True)
    dark = described(sheet.rules)
    for theme in ("textual-light", "textual-dark"):
        sheet.set_variables(variables(theme))
        sheet.reparse()
        plain = Stylesheet(variables=variables(theme))
        plain.add_source(NESTED, ("here.py", "Panel.DEFAULT_CSS"), is_default_css=True)
        assert described(sheet.rules) == described(plain.rules)
        assert (described(sheet.rules) == dark) is (theme == "textual-dark")


@pytest.mark.asyncio
@pytest.mark.parametrize("theme", [None, "textual-light"])
async def test_after_the_factorys_parse_the_lead_list_parses_no_css(
    rep: models.User, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, theme: str | None
) -> None:
    """With the default theme (what the factory parses) nothing is parsed; with
    another one, its own CSS is, and the app ends up styled by that theme."""
    monkeypatch.setenv("LEADQ_CONFIG_DIR", str(tmp_path))
    if theme is not None:
        save_preference("theme", theme)
    parsed: list[object] = []
    textual_parse = Stylesheet._parse_rules

    def counted(self: Stylesheet, css: str, read_from: object, *args: Any) -> list[RuleSet]:
        parsed.append(read_from)
        return textual_parse(self, css, read_from, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Stylesheet, "_parse_rules", counted)
    for parse_ahead in (False, True):
        monkeypatch.setattr(shared_css, "_parsed", {})
        if parse_ahead:
            factory._parse_css_ahead()
        parsed.clear()
        app = make_app(rep)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, LeadListScreen))
            await settle(pilot)
            await pilot.pause()
            assert isinstance(app.stylesheet, SharedStylesheet)
            assert app.theme == (theme or "textual-dark")
            assert app.stylesheet._variables == variables(app.theme)
            if parse_ahead and theme is None:
                assert parsed == []  # everything came from the factory's parse
            else:
                assert (str(Path(tui.app.__file__).parent / "app.tcss"), "") in parsed


def test_theme_variables_are_kept_per_theme_and_never_stale() -> None:
    from textual.app import App
    from textual.theme import Theme

    app = App()
    for theme in ("textual-dark", "nord", "textual-dark"):
        app.theme = theme
        got = css_variables(app, lambda: App.get_css_variables(app))
        assert got == variables(theme) and app.theme_variables == got
        got["primary"] = "#123456"  # a copy: the next app gets the theme's own
        assert css_variables(app, lambda: App.get_css_variables(app)) == variables(theme)
    primaries = []
    for primary in ("#ff0000", "#00ff00"):  # the same name, another theme
        app.register_theme(Theme(name="custom", primary=primary))
        app.theme = "custom"
        got = css_variables(app, lambda: App.get_css_variables(app))
        assert got == App.get_css_variables(app)
        primaries.append(got["primary"])
    assert primaries[0] != primaries[1]


@pytest.mark.asyncio
async def test_a_widget_is_styled_when_it_mounts_not_when_built(
    sqlite_db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compact input sets its class in its constructor; that restyled it alone
    before it was mounted (a third of composing the lead form). It is styled, as
    compact, when it mounts."""
    from textual.widgets import Input

    from tui.widgets.record_form import FieldInput

    rep = models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        styled: list[DOMNode] = []
        real_update_nodes = Stylesheet.update_nodes

        def update_nodes(self: Stylesheet, nodes: Any, animate: bool = False) -> None:
            nodes = list(nodes)
            styled.extend(nodes)
            real_update_nodes(self, nodes, animate=animate)

        monkeypatch.setattr(Stylesheet, "update_nodes", update_nodes)
        field = FieldInput(id="probe")
        plain = Input(id="plain", compact=True)
        assert styled == []
        await app.screen.mount(field, plain)
        await settle(pilot)
        for widget in (field, plain):
            assert widget.has_class("-textual-compact")
            assert widget.outer_size.height == 1  # a compact input's one line, no border
        plain.compact = False  # a class changed once mounted restyles it
        await settle(pilot)
        assert plain in styled
        assert plain.outer_size.height == 3


@pytest.mark.asyncio
async def test_after_the_factorys_parse_the_screen_stylesheets_come_in_one_parse(
    rep: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forked session adds every other screen's stylesheet after its first frame
    from the texts the factory read (no file opened again) and parses once; without
    the factory's parse each one is read from its file and parsed alone."""
    parses: list[bool] = []
    reads: list[str] = []
    textual_parse, textual_read = Stylesheet.parse, Stylesheet.read
    sheets = {str(path) for path in tui.app.SCREEN_STYLESHEETS}

    def parse(self: Stylesheet) -> None:
        parses.append(all(self.has_source(path, "") for path in sheets))
        textual_parse(self)

    def read(self: Stylesheet, path: Any) -> None:
        reads.append(str(path))
        textual_read(self, path)

    monkeypatch.setattr(Stylesheet, "parse", parse)
    monkeypatch.setattr(Stylesheet, "read", read)
    for parse_ahead in (True, False):
        monkeypatch.setattr(shared_css, "_parsed", {})
        monkeypatch.setattr(shared_css, "_file_texts", {})
        if parse_ahead:
            import_every_widget()  # the factory imports every screen first
            factory._parse_css_ahead()
        parses.clear()
        reads.clear()
        app = make_app(rep)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, LeadListScreen))
            await wait_until(
                pilot, lambda: all(pilot.app.stylesheet.has_source(p, "") for p in sheets)
            )
            await settle(pilot)
            screen_reads = [path for path in reads if path in sheets]
            if parse_ahead:
                assert len(screen_reads) <= 1  # the lead list's own, read by Textual
                assert True in parses and len(parses) < len(sheets) // 2  # not one each
            else:
                assert len(screen_reads) == len(sheets)
                assert True in parses and len(parses) > len(sheets)


@pytest.mark.asyncio
async def test_after_the_factorys_parse_no_css_variable_is_tokenized_again(
    rep: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The theme's variables are tokenized once per process (the factory), not once
    per app's stylesheet; each stylesheet still gets lists of its own."""
    from textual.css import stylesheet as textual_stylesheet

    tokenized: list[object] = []
    real = shared_css.tokenize_values
    monkeypatch.setattr(shared_css, "tokenize_values", lambda v: (tokenized.append(v), real(v))[1])
    monkeypatch.setattr(textual_stylesheet, "tokenize_values", shared_css.tokenize_values)
    monkeypatch.setattr(shared_css, "_parsed", {})
    monkeypatch.setattr(shared_css, "_tokens", {})
    factory._parse_css_ahead()
    assert len(tokenized) == 1
    app = make_app(rep)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LeadListScreen))
        await settle(pilot)
        assert len(tokenized) == 1
        theirs = SharedStylesheet(variables=dict(app.stylesheet._variables))
        ours = app.stylesheet._variable_tokens
        assert theirs._variable_tokens == ours
        ours["primary"].append(ours["primary"][0])  # what a CSS redefinition does
        assert theirs._variable_tokens["primary"] != ours["primary"]
        assert len(tokenized) == 1


def test_parse_ahead_lays_out_the_files_then_the_ranked_classes_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The factory parses the .tcss files, then the DEFAULT_CSS of the classes a session
    uses first (ranked by the hot code), then the rest: the table keeps that order
    (the rules are allocated in it), and every source is parsed either way."""
    from textual.app import App
    from textual.widgets import Button, Label

    monkeypatch.setattr(shared_css, "_parsed", {})
    monkeypatch.setattr(shared_css, "_tokens", {})
    sheet_file = tmp_path / "mine.tcss"
    sheet_file.write_text("Label { color: red; }\n", encoding="utf-8")
    app = App()
    values = css_variables(app, lambda: App.get_css_variables(app))
    ranks = {Button: 0, Label: 1}
    count = shared_css.parse_ahead(values, [sheet_file], ranks)
    (table,) = shared_css._parsed.values()
    names = [read_from[1] for _, read_from, _, _ in table]
    assert names[:3] == ["", "Button.DEFAULT_CSS", "Label.DEFAULT_CSS"]
    assert next(iter(table))[1] == (str(sheet_file), "")
    assert count == len(table) > 20  # the others follow
    unranked = list(dict.fromkeys(default_css_sources(subclasses(DOMNode))))
    assert {key[1] for key in unranked} == {key[1] for key in list(table)[1:]}
