"""How `leadq serve` gives a session its file area: variables in its environment.

Apart from `file_area`, so that a local run of the app, which has no area, can tell
without importing the area's rules (0.1 MiB resident at the first list, bench_tui).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

AREA_ENV = "LEADQ_FILE_AREA"
"""Set by `leadq serve` (SSH and web) for each session: the session's own area.
The SSH client cannot set it (the server takes only TERM, LANG, LC_*, NO_COLOR
and COLORTERM from the client), and no command-line flag turns it off."""
AREA_FD_ENV = "LEADQ_FILE_AREA_FD"
"""What `leadq serve` actually hands a session: an inherited descriptor of the
area directory, so the session (perhaps as the --run-as account) needs no way
through the server's directories, and cannot be pointed elsewhere by a path."""
LIMITS_ENV = "LEADQ_FILE_LIMITS"


def area_given(env: Mapping[str, str] | None = None) -> bool:
    """Whether this process was given a file area (`FileArea.from_environment`
    makes it; without one it returns None)."""
    env = os.environ if env is None else env
    return bool(env.get(AREA_ENV) or env.get(AREA_FD_ENV))
