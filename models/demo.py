"""The demo users: who a seeded database holds and `leadq serve --demo` lets in.

They are the models' (seed.py creates them, the SSH server admits them by name),
so the served app never imports the seed script.
"""

from __future__ import annotations

from dataclasses import dataclass

from .enums import Role


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Ada Admin", Role.SYSTEM_ADMINISTRATOR),
    DemoUser("morgan", "Morgan Manager", Role.SALES_MANAGER),
    DemoUser("riley", "Riley Rep", Role.SALESPERSON),
    DemoUser("sam", "Sam Seller", Role.SALESPERSON),
)
