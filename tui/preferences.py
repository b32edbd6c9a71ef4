"""Per-user preferences kept between runs (the theme), in the user's config directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def preferences_path() -> Path:
    override = os.environ.get("LEADQ_CONFIG_DIR")
    if override:
        return Path(override) / "preferences.json"
    from platformdirs import user_config_dir

    return Path(user_config_dir("leadq", appauthor=False)) / "preferences.json"


def load_preferences() -> dict[str, Any]:
    try:
        data = json.loads(preferences_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_preference(key: str, value: Any) -> None:
    path = preferences_path()
    data = load_preferences()
    data[key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(path)
    except OSError:
        pass  # preferences are a convenience; never fail the app over them
