"""ASGI guards in front of the app: the Host header must name the server (a page elsewhere
cannot reach it through DNS rebinding), and a request body may not pass its byte limit,
counted as the bytes arrive (a chunked upload has no Content-Length to trust)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from burdenshift.web.errors import _error

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
"""Names of this machine's loopback address, the server's default."""


def host_of(header: str | None) -> str | None:
    """The host of a Host header, without its port; IPv6 without brackets; None if malformed."""
    if not header or any(c.isspace() or c in "/\\@?#" for c in header):
        return None
    if header.startswith("["):
        end = header.find("]")
        if end < 0:
            return None
        host, rest = header[1:end], header[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:]
    else:
        host, _, port = header.partition(":")
    if port and not port.isdigit():
        return None
    return host.lower().rstrip(".") or None


class HostCheck(TrustedHostMiddleware):
    """Starlette's TrustedHostMiddleware (same patterns: exact names, `*.example.com`, `*`),
    refusing in the API's one error shape, and reading IPv6 hosts (`[::1]:8000`)."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        super().__init__(app, allowed_hosts=list(allowed_hosts), www_redirect=False)

    def allows(self, host: str | None) -> bool:
        if self.allow_any:
            return True
        if host is None:
            return False
        return any(
            host == p.strip("[]") or (p.startswith("*.") and host.endswith(p[1:]))
            for p in self.allowed_hosts
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.allow_any:
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("host")
        if self.allows(host_of(header)):
            await self.app(scope, receive, send)
            return
        reply = _error(
            400,
            "the Host header does not name this server",
            field="host",
            fix="open the page at the address the server was started on "
            f"({', '.join(self.allowed_hosts)})",
            loc=["header", "host"],
        )
        await reply(scope, receive, send)


class BodyLimit:
    """Refuse a request body over `limit` bytes as soon as the count passes it: a declared
    Content-Length at once, a chunked body after `limit` bytes, never reading the rest. The
    bytes up to the limit are handed on to the app as they came."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def refusal(self, size: int | None = None) -> ASGIApp:
        said = f"request body of {size} bytes" if size is not None else "request body"
        return _error(
            422,  # like every other refused input, so clients handle one error shape
            f"{said} is over the {self.limit}-byte limit",
            fix="send a smaller scenario",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = Headers(scope=scope).get("content-length")
        if size is not None and size.strip().isdigit() and int(size) > self.limit:
            await self.refusal(int(size))(scope, receive, send)
            return
        got: list[Message] = []
        total = 0
        while True:
            message = await receive()
            got.append(message)
            if message["type"] != "http.request":
                break  # the client went away: the app sees it as usual
            total += len(message.get("body", b""))
            if total > self.limit:
                await self.refusal()(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return got.pop(0) if got else await receive()

        await self.app(scope, replay, send)
