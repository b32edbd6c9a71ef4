"""`leadq serve --web`: the app in a browser through textual-serve, behind a token.

textual-serve has no authentication of its own. Every request must carry the
random token printed at start-up, either in the URL (`/?token=...`, the address
you open) or in the HttpOnly, SameSite=Strict cookie the first page sets, so the
page's own websocket, static files and downloads work and nothing else does.

The websocket also needs the Origin of the page this server served: SameSite
keeps the cookie from other sites, but not from another page on the same host
(`http://127.0.0.1:9999` is the same site as `http://127.0.0.1:8000`). Sessions
are capped (`--max-sessions`), window sizes clamped as over SSH, and each app
runs like an SSH session's: the database URL in its environment (textual-serve
would run a shell command line), as the `--run-as` account when root.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import secrets
import shlex
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

import models

from .account import RunAs
from .factory import FactoryUnavailable, ForkedPipeProcess, SessionFactory
from .pty_app import clamp_window

COOKIE = "leadq_token"
START_SECONDS = 90.0
"""How long an app may take to show its first output before it is stopped (a busy
machine needs seconds; an app stuck for longer will not come)."""
QUIT_SECONDS = 10.0
"""How long an app has to quit when its tab goes away before it is killed."""
log = logging.getLogger("leadq.serve")
_RUN_AS_ENV_DROP = {"HOME", "USER", "LOGNAME", "MAIL", "PWD", "OLDPWD"}


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


class LeadqAppService(AppService):
    """textual-serve's app process, started from an argv (no shell) with the database
    URL in its environment and, from a root server, as the run-as account."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        db_url: str,
        run_as: RunAs | None,
        area_fd: int | None = None,
        ended: Callable[[str], Awaitable[None]] | None = None,
        start_seconds: float = START_SECONDS,
        factory: SessionFactory | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(shlex.join(argv), **kwargs)
        self.argv = list(argv)
        self.db_url = db_url
        self.run_as = run_as
        self.area_fd = area_fd
        """A descriptor of the user's file area, inherited by the app (no server paths)."""
        self.ended = ended
        """Told why when the app's output ends, so the tab is closed and not left open."""
        self.start_seconds = start_seconds
        self.started = asyncio.Event()
        """Set at the app's first packet."""
        self.factory = factory
        """The preloaded session factory (--session-start fork), else None (spawn)."""

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        width, height = clamp_window(width, height)
        env = super()._build_environment(width=width, height=height)
        if self.run_as is not None:
            env = {
                k: v
                for k, v in env.items()
                if k not in _RUN_AS_ENV_DROP and not k.startswith("XDG_")
            }
            env.update(self.run_as.env())
        env.pop("LEADQ_USER", None)
        env[models.DB_ENV_VAR] = self.db_url
        env.pop(models.FILE_AREA_ENV, None)
        if self.area_fd is not None:
            env[models.FILE_AREA_FD_ENV] = str(self.area_fd)
        return env

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        if self.factory is not None:
            try:
                return await self._fork_app_process(width, height)
            except FactoryUnavailable as exc:
                log.warning("web session: %s; starting the app afresh", exc)
        account = self.run_as.popen_kwargs() if self.run_as is not None else {}
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            pass_fds=() if self.area_fd is None else (self.area_fd,),
            **account,  # type: ignore[arg-type]
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def set_terminal_size(self, width: int, height: int) -> None:
        await super().set_terminal_size(*clamp_window(width, height))

    async def _fork_app_process(self, width: int, height: int) -> Any:
        """The app forked by the session factory on three pipes, as textual-serve's
        own process would have them."""
        assert self.factory is not None
        pipes = [os.pipe() for _ in range(3)]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0]]
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1]]
        try:
            process = await self.factory.fork(
                self.argv[-3:], self._build_environment(width=width, height=height),
                theirs, self.area_fd, self.run_as,
            )  # fmt: skip
        except BaseException:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        assert isinstance(process, ForkedPipeProcess)
        await process.connect(*ours)
        self._process = process  # type: ignore[assignment]
        self._stdin = process.stdin
        return process

    async def on_data(self, payload: bytes) -> None:
        self.started.set()
        await super().on_data(payload)

    async def on_meta(self, data: bytes) -> None:
        self.started.set()
        await super().on_meta(data)

    def _kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()

    async def run(self) -> None:
        """textual-serve's relay, then: when the app's output ends (it quit, crashed or
        never started), the tab is told why and closed. textual-serve itself leaves
        the websocket open with no app behind it, and a client waits for ever."""
        watchdog = asyncio.create_task(self._watch_start())
        try:
            await super().run()
        finally:
            watchdog.cancel()
        process = self._process
        assert process is not None
        try:
            status = await asyncio.wait_for(process.wait(), QUIT_SECONDS)
        except TimeoutError:  # output closed, process lingering
            self._kill()
            status = await process.wait()
        if not self.started.is_set():
            reason = (
                f"the app did not start within {self.start_seconds:g} s"
                if status == -signal.SIGKILL
                else f"the app stopped before it started (exit status {status})"
            )
        elif status == 0:
            reason = "the app ended"
        else:
            reason = f"the app stopped (exit status {status})"
        if status != 0:
            log.warning("web session %s: %s", self.app_service_id[:8], reason)
        if self.ended is not None:
            await self.ended(reason)

    async def _watch_start(self) -> None:
        try:
            await asyncio.wait_for(self.started.wait(), self.start_seconds)
        except TimeoutError:
            log.warning(
                "web session %s: no output from the app in %g s, stopping it",
                self.app_service_id[:8], self.start_seconds,
            )  # fmt: skip
            self._kill()

    async def stop(self) -> None:
        """Ask the app to quit; kill it if it has not within QUIT_SECONDS."""
        task = self._task
        if task is None:
            return
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        await self.send_meta({"type": "quit"})
        try:
            await asyncio.wait_for(asyncio.shield(task), QUIT_SECONDS)
        except TimeoutError:
            self._kill()
            await task
        self._task = None


class TokenServer(Server):
    """textual-serve's Server with every route behind the token, the websocket behind
    the Origin check and a session cap."""

    def __init__(
        self,
        argv: Sequence[str],
        host: str,
        port: int,
        token: str,
        *,
        db_url: str,
        run_as: RunAs | None = None,
        max_sessions: int = 32,
        area_fd: int | None = None,
        factory: SessionFactory | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(shlex.join(argv), host=host, port=port, **kwargs)
        self.argv = list(argv)
        self.token = token
        self.db_url = db_url
        self.run_as = run_as
        self.max_sessions = max_sessions
        self.area_fd = area_fd
        self.sessions = 0
        self.start_seconds = START_SECONDS
        self.factory = factory
        parts = urlsplit(self.public_url)
        self.origin = f"{parts.scheme}://{parts.netloc}".lower()

    @property
    def url(self) -> str:
        return f"{self.public_url}/?token={self.token}"

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(token_middleware(self.token))
        return app

    async def on_startup(self, app: web.Application) -> None:
        if self.factory is not None:
            try:
                await self.factory.start()
            except FactoryUnavailable as exc:
                log.warning("%s; sessions are started afresh until it is back", exc)
        print(f"leadq serve: open {self.url}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)

    async def on_shutdown(self, app: web.Application) -> None:
        await super().on_shutdown(app)
        if self.factory is not None:
            await self.factory.close()

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        """The page's websocket: only from the page's own origin, within the cap."""
        origin = request.headers.get("Origin", "").lower()
        if origin != self.origin:
            log.warning("websocket refused: Origin %r is not %s", origin[:80], self.origin)
            raise web.HTTPForbidden(
                text=f"leadq: the websocket only opens from the page at {self.origin}.\n"
            )
        if self.sessions >= self.max_sessions:
            log.warning("websocket refused: %d sessions running", self.sessions)
            raise web.HTTPServiceUnavailable(
                text=f"leadq: too many sessions ({self.max_sessions}), try again later.\n"
            )
        self.sessions += 1
        try:
            return await self._run_session(request)
        finally:
            self.sessions -= 1

    async def _run_session(self, request: web.Request) -> web.WebSocketResponse:
        # textual-serve's handle_websocket, with LeadqAppService and clamped sizes.
        websocket = web.WebSocketResponse(heartbeat=15)
        width, height = clamp_window(
            to_int(request.query.get("width", "80"), 80),
            to_int(request.query.get("height", "24"), 24),
        )
        app_service: AppService | None = None
        try:
            await websocket.prepare(request)

            async def ended(reason: str) -> None:
                if websocket.closed:
                    return
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await websocket.send_bytes(f"\r\nleadq: {reason}.\r\n".encode())
                normal = reason == "the app ended"
                await websocket.close(
                    code=WSCloseCode.OK if normal else WSCloseCode.INTERNAL_ERROR,
                    message=f"leadq: {reason}"[:120].encode(),
                )

            app_service = LeadqAppService(
                self.argv,
                db_url=self.db_url,
                run_as=self.run_as,
                area_fd=self.area_fd,
                ended=ended,
                start_seconds=self.start_seconds,
                factory=self.factory,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await app_service.start(width, height)
            try:
                await self._process_messages(websocket, app_service)
            finally:
                await app_service.stop()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            if app_service is not None:
                await app_service.stop()
        return websocket
