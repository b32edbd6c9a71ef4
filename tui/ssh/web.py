"""`leadq serve --web`: the app in a browser through textual-serve, behind a token.

textual-serve has no authentication of its own. Every request must carry the
random token printed at start-up, either in the URL (`/?token=...`, the address
you open) or in the HttpOnly, SameSite=Strict cookie the first page sets, so the
page's own websocket, static files and downloads work and nothing else does.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from aiohttp import web
from textual_serve.server import Server

COOKIE = "leadq_token"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_middleware(token: str) -> Any:
    @web.middleware
    async def require_token(request: web.Request, handler: Any) -> web.StreamResponse:
        offered = request.query.get("token")
        via_query = offered is not None
        if offered is None:
            offered = request.cookies.get(COOKIE, "")
        if not hmac.compare_digest(offered.encode(), token.encode()):
            raise web.HTTPForbidden(
                text="leadq: this address needs the token that `leadq serve --web` printed.\n"
            )
        response = await handler(request)
        if via_query and not response.prepared:
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
        return response

    return require_token


class TokenServer(Server):
    """textual-serve's Server with every route behind the token."""

    def __init__(self, command: str, host: str, port: int, token: str, **kwargs: Any) -> None:
        super().__init__(command, host=host, port=port, **kwargs)
        self.token = token

    @property
    def url(self) -> str:
        return f"{self.public_url}/?token={self.token}"

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(token_middleware(self.token))
        return app

    async def on_startup(self, app: web.Application) -> None:
        print(f"leadq serve: open {self.url}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
