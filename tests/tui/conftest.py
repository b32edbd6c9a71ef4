"""The TUI tests' users: on the SQLite file the `sqlite_db` fixture opens (the app
runs on one backend here; the model tests cover both)."""

from __future__ import annotations

import pytest

import models


@pytest.fixture
def admin(sqlite_db: object) -> models.User:
    return models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)


@pytest.fixture
def ada(admin: models.User) -> models.User:
    """The administrator, by name (the record tests call her ada)."""
    return admin


@pytest.fixture
def rep(sqlite_db: object) -> models.User:
    return models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
