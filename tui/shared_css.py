"""Parsed CSS kept once per process and shared by every app in it.

Textual parses each CSS source (a widget class's DEFAULT_CSS, a .tcss file) in
every app, and again on each theme change: its parse cache belongs to one
Stylesheet. That was about a sixth of a forked session's CPU up to its painted
list. `SharedStylesheet` keeps what it parsed in a process-wide table keyed by
the source, where it came from, whether it is default CSS, its scope and the CSS
variables (the theme's) it was parsed with, so an app parses a source only if no
app of this process parsed it with the same variables; the session factory
(tui/ssh/factory.py) fills the table for the default theme before it forks, so a
forked session parses nothing on its way to the list.

A source's rules depend on the tie-breaker Textual parses it with (minus the
class's depth under the widget that registered it) only through each rule's
`tie_breaker` field, which is that number times the rule's nesting depth: the
table holds the rules parsed with 1 and hands out copies with the field scaled.
The rules' styles and selectors are only read once parsed, so the copies share
them. Nothing of the database, the user or the terminal is in here.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from textual.css.model import RuleSet, Selector
from textual.css.stylesheet import CSSLocation, Stylesheet
from textual.css.tokenize import Token, tokenize_values
from textual.dom import DOMNode

_VARIABLE_SETS = 8
"""Themes whose parsed CSS is kept (an app that goes through more parses again)."""

_parsed: dict[tuple, dict[tuple, list[RuleSet]]] = {}
"""{variables: {(css, read_from, is_default_rules, scope): rules parsed with tie-breaker 1}}"""

_tokens: dict[tuple, dict[str, list[Token]]] = {}
"""{variables: their values tokenized} (`SharedStylesheet._variable_tokens`)."""

_file_texts: dict[str, str] = {}
"""{a .tcss file's absolute path: its text}, as `parse_ahead` read it (the session
factory's: a forked session adds the screens' files without reading them again)."""

_variables: dict[tuple[str, tuple], dict[str, str]] = {}
"""{(the theme, every field, as its repr; the app's variable defaults): the CSS variables}"""


def css_variables(app: Any, compute: Callable[[], dict[str, str]]) -> dict[str, str]:
    """`app.get_css_variables()` (`compute`), kept per theme: generating a theme's
    colour system costs 2-3 ms, and an app asks at its start and on each theme change.
    Like Textual's, it also sets `app.theme_variables`."""
    key = (repr(app.current_theme), tuple(sorted(app.get_theme_variable_defaults().items())))
    variables = _variables.get(key)
    if variables is None:
        if len(_variables) >= _VARIABLE_SETS:
            del _variables[next(iter(_variables))]
        variables = _variables[key] = dict(compute())
    app.theme_variables = result = dict(variables)
    return result


class SharedStylesheet(Stylesheet):
    """A Stylesheet whose parsing goes through this process's table (see the module)."""

    def __init__(self, *, variables: dict[str, str] | None = None) -> None:
        self._variables_key: tuple | None = None
        self._own_tokens: tuple[dict[str, list[Token]], dict[str, list[Token]]] | None = None
        super().__init__(variables=variables)

    def set_variables(self, variables: dict[str, str]) -> None:
        super().set_variables(variables)
        self._variables_key = None
        self._own_tokens = None

    def copy(self) -> SharedStylesheet:
        stylesheet = SharedStylesheet(variables=self._variables.copy())
        stylesheet.source = self.source.copy()
        return stylesheet

    def reparse(self) -> None:
        # Textual's reparse, in a fresh SharedStylesheet (so errors leave self intact).
        stylesheet = SharedStylesheet(variables=self._variables)
        for read_from, (css, is_defaults, tie_breaker, scope) in self.source.items():
            stylesheet.add_source(
                css, read_from=read_from, is_default_css=is_defaults,
                tie_breaker=tie_breaker, scope=scope,
            )  # fmt: skip
        try:
            stylesheet.parse()
        except Exception:
            self._invalid_css.update(stylesheet._invalid_css)
            raise
        self._rules = stylesheet.rules
        self._rules_map = None
        self.source = stylesheet.source
        self._require_parse = False

    def _parse_rules(
        self,
        css: str,
        read_from: CSSLocation,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> list[RuleSet]:
        cache_key = (css, read_from, is_default_rules, tie_breaker, scope)
        rules = self._parse_cache.get(cache_key)
        if rules is not None:
            return rules
        template = self._template(css, read_from, is_default_rules, scope)
        rules = [_scaled(rule, tie_breaker) for rule in template]
        self._parse_cache[cache_key] = rules
        return rules

    @property
    def _variable_tokens(self) -> dict[str, list[Token]]:
        """The CSS variables' values tokenized, which Textual does once per stylesheet
        (150 values, 4-6 ms of every session's start: inline styles and every CSS
        source parsed need them), kept per process and set of variables. Each
        stylesheet gets its own lists (Textual's substitution appends to a list when
        CSS redefines a variable)."""
        key = self._key()
        tokens = _tokens.get(key)
        if tokens is None:
            while len(_tokens) >= _VARIABLE_SETS:
                del _tokens[next(iter(_tokens))]
            tokens = _tokens[key] = tokenize_values(self._variables)
        if self._own_tokens is None or self._own_tokens[0] is not tokens:
            self._own_tokens = (tokens, {name: list(value) for name, value in tokens.items()})
        return self._own_tokens[1]

    def parsed_ahead(self, css: str, read_from: CSSLocation) -> bool:
        """Whether this process's table has the rules of this (non-default) source for
        this stylesheet's variables: adding it then parses nothing."""
        table = _parsed.get(self._key())
        return table is not None and (css, read_from, False, "") in table

    def _key(self) -> tuple:
        if self._variables_key is None:
            self._variables_key = tuple(sorted(self._variables.items()))
        return self._variables_key

    def _template(
        self, css: str, read_from: CSSLocation, is_default_rules: bool, scope: str
    ) -> list[RuleSet]:
        """The source's rules parsed with tie-breaker 1, from the table or parsed now."""
        key = self._key()
        table = _parsed.get(key)
        if table is None:
            while len(_parsed) >= _VARIABLE_SETS:
                del _parsed[next(iter(_parsed))]
            table = _parsed[key] = {}
        key = (css, read_from, is_default_rules, scope)
        template = table.get(key)
        if template is None:
            template = super()._parse_rules(css, read_from, is_default_rules, 1, scope)
            table[key] = _compact(template)
        return template


_EMPTY: frozenset[str] = frozenset()
_sets: dict[frozenset[str], frozenset[str]] = {}
"""Every set of names the parsed rules hold, once (`_compact`)."""

_selectors: dict[tuple, Selector] = {}
"""Every selector of the parsed rules, once: {its fields: the selector} (`_compact`)."""


def _compact(rules: list[RuleSet]) -> list[RuleSet]:
    """`rules`, just parsed, holding one object per distinct selector and name set.

    Textual's parse gives each rule two sets (its selectors' names, their pseudo
    classes), its styles a set (the `!important` names), and each selector its own
    object, with a set, a `partial` and a tuple: a selector such as
    `LeadDetailScreen` begins every rule of its file, and most of these sets are
    empty. Textual reads them once parsed, never changes them (only the parse
    does, before this), and matches selectors by their fields; here equal ones are
    made one (the sets frozen): 1,526 sets and 456 selectors of the screens'
    stylesheets became 710 sets and a few dozen selectors, 0.4 MiB less at the first
    list (bench_tui)."""
    for rule in rules:
        rule.selector_names = _shared_set(rule.selector_names)  # type: ignore[assignment]
        rule.pseudo_classes = _shared_set(rule.pseudo_classes)  # type: ignore[assignment]
        rule.styles.important = _shared_set(rule.styles.important)  # type: ignore[assignment]
        for selector_set in rule.selector_set:
            selectors = selector_set.selectors
            selectors[:] = [_shared_selector(selector) for selector in selectors]
    return rules


def _shared_set(names: set[str] | frozenset[str]) -> frozenset[str]:
    if not names:
        return _EMPTY
    frozen = frozenset(names)
    return _sets.setdefault(frozen, frozen)


def _shared_selector(selector: Selector) -> Selector:
    pseudo_classes = _shared_set(selector.pseudo_classes)
    fields = (
        selector.name, selector.combinator, selector.type, pseudo_classes,
        selector.specificity, selector.advance,
    )  # fmt: skip
    shared = _selectors.get(fields)
    if shared is None:
        selector.pseudo_classes = pseudo_classes  # type: ignore[assignment]
        shared = _selectors[fields] = selector
    return shared


def _scaled(rule: RuleSet, tie_breaker: int) -> RuleSet:
    """`rule` (parsed with tie-breaker 1) as parsed with `tie_breaker`."""
    return RuleSet(
        rule.selector_set, rule.styles, rule.errors, rule.is_default_rules,
        rule.tie_breaker * tie_breaker, rule.selector_names, rule.pseudo_classes,
    )  # fmt: skip


def default_css_sources(classes: Iterable[type[DOMNode]]) -> Iterator[tuple]:
    """(css, read_from, is_default_rules, scope) of each class's own DEFAULT_CSS, as
    Textual's `DOMNode._get_default_css` names them."""
    for cls in classes:
        css = cls.__dict__.get("DEFAULT_CSS", "")
        if not css:
            continue
        try:
            location = (inspect.getfile(cls), f"{cls.__name__}.DEFAULT_CSS")
        except (TypeError, OSError):
            location = ("", f"{cls.__name__}.DEFAULT_CSS")
        scoped = cls.__dict__.get("SCOPED_CSS", True)
        yield css, location, True, cls._css_type_name if scoped else ""


def subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def css_files(classes: Iterable[type]) -> Iterator[Path]:
    """The .tcss files of these App and Screen classes' CSS_PATH, resolved as Textual
    resolves them (next to the module that defines the class)."""
    from textual._path import _css_path_type_as_list

    for cls in classes:
        css_path = getattr(cls, "CSS_PATH", None)
        if not css_path:
            continue
        try:
            here = Path(inspect.getfile(cls)).parent
        except (TypeError, OSError):
            continue
        for path in _css_path_type_as_list(css_path):
            yield (here / path).resolve()


def parse_ahead(
    variables: dict[str, str], files: Iterable[Path], first: dict[type, int] | None = None
) -> int:
    """Parse, for these CSS variables, the given .tcss files (as Textual reads them:
    their absolute path) and the DEFAULT_CSS of every widget, screen and app class
    imported so far, into the table; how many sources. One that does not parse is
    left for the app that uses it to report.

    The files come first, then the classes ranked in `first` (those a session uses
    first, first: the session factory ranks them by the hot code, hot_code.py), then
    the others: a session reads the rules it uses (every object of them: their
    reference counts), and those of the widgets it does not show are not laid out
    among them."""
    sheet = SharedStylesheet(variables=variables)
    sheet._variable_tokens  # noqa: B018 (tokenized into the table)
    sources = []
    for path in dict.fromkeys(files):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = _file_texts[str(path)] = path.read_text(encoding="utf-8")
            sources.append((text, (str(path), ""), False, ""))
    ranks = first or {}
    classes = sorted(subclasses(DOMNode), key=lambda cls: ranks.get(cls, len(ranks)))
    sources += dict.fromkeys(default_css_sources(classes))
    parsed = 0
    for css, read_from, is_default_rules, scope in sources:
        with contextlib.suppress(Exception):
            sheet._template(css, read_from, is_default_rules, scope)
            parsed += 1
    return parsed


def css_file_text(path: Path) -> str | None:
    """The text of a .tcss file as `parse_ahead` read it in this process (None if it
    did not). The files are the app's own, like its modules: a session forked from
    the factory uses the texts the factory read, as it uses the code it imported."""
    return _file_texts.get(str(path))
