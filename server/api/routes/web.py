"""The browser client: its entry page under a strict Content-Security-Policy, its static files,
and the crisis resources it shows (public: someone locked out of their account needs them most).

The page (`web/index.html`) may hold inline scripts only without executable code, such as the
import map; each one's SHA-256 is computed once, when the router is built, and named in
`script-src`, so editing the page never silently breaks or weakens the policy.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from server.api.deps import StateDep
from server.config import Settings
from server.errors import NotFound

__all__ = [
    "STATIC_PREFIX",
    "WEB_DIR",
    "CrisisResourcesOut",
    "EntryPage",
    "ServiceWorker",
    "content_security_policy",
    "create_router",
    "inline_script_hashes",
]

WEB_DIR = Path(__file__).resolve().parents[3] / "web"
STATIC_PREFIX = "/static"
# Only these folders of web/ are served (not tests/, README, package.json).
SERVED_DIRS = frozenset({"app", "css", "js", "vendor", "img"})
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class CrisisResourcesOut(BaseModel):
    """Where to get help now, configured per deployment (`PEERHAVEN_CRISIS_RESOURCES`)."""

    resources: list[str]
    quick_exit_url: str = Field(description="Where the client's quick exit goes")


def inline_script_hashes(html: str) -> list[str]:
    """CSP sources (`'sha256-…'`) for the inline `<script>` elements of `html`, in order."""
    found = []
    for attributes, body in _INLINE_SCRIPT.findall(html):
        if re.search(r"\bsrc\s*=", attributes, re.IGNORECASE):
            continue
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        found.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return found


def _websocket_origin(origin: str) -> str:
    parts = urlsplit(origin)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}"


def content_security_policy(*, script_hashes: list[str], origin: str) -> str:
    """The page's policy: its own scripts and styles only, WebAssembly for libsodium, the relay."""
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'", *script_hashes],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'", _websocket_origin(origin)],
        "manifest-src": ["'self'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


@dataclass(frozen=True)
class ServiceWorker:
    """`web/sw.js` with the app shell in front: `VERSION` (a hash of every shell file, so a
    changed file installs a new worker and a fresh cache) and `SHELL` (their URLs)."""

    body: bytes

    # The worker's own policy: it fetches from this origin only and runs no other script.
    CSP = "default-src 'none'; connect-src 'self'; img-src 'self'"

    @classmethod
    def load(cls, web_dir: Path) -> ServiceWorker:
        root = web_dir.resolve()
        files = sorted(
            path
            for folder in sorted(SERVED_DIRS)
            for path in (root / folder).rglob("*")
            if path.is_file()
            and path.suffix in MEDIA_TYPES
            and all(_PART.fullmatch(part) for part in path.relative_to(root).parts)
        )
        digest = hashlib.sha256()
        for path in [root / "index.html", root / "sw.js", root / "manifest.webmanifest", *files]:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
        shell = [f"{STATIC_PREFIX}/{p.relative_to(root).as_posix()}" for p in files]
        prelude = (
            f"const VERSION = {json.dumps(digest.hexdigest()[:16])};\n"
            f"const SHELL = {json.dumps([*shell, '/manifest.webmanifest'])};\n"
        )
        return cls(body=prelude.encode() + (root / "sw.js").read_bytes())

    def headers(self) -> dict[str, str]:
        return {**COMMON_HEADERS, "Content-Security-Policy": self.CSP}


@dataclass(frozen=True)
class EntryPage:
    body: bytes
    csp: str

    @classmethod
    def load(cls, path: Path, *, origin: str) -> EntryPage:
        body = path.read_bytes()
        hashes = inline_script_hashes(body.decode("utf-8"))
        return cls(body=body, csp=content_security_policy(script_hashes=hashes, origin=origin))

    def headers(self) -> dict[str, str]:
        return {
            **COMMON_HEADERS,
            "Content-Security-Policy": self.csp,
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        }


def _static_file(web_dir: Path, path: str) -> tuple[Path, str]:
    """The file under `web_dir` for a static URL path and its media type; `NotFound` else."""
    parts = path.split("/")
    media_type = MEDIA_TYPES.get(Path(path).suffix)
    if (
        media_type is None
        or len(parts) < 2
        or parts[0] not in SERVED_DIRS
        or not all(_PART.fullmatch(part) for part in parts)
    ):
        raise NotFound("not found")
    root = web_dir.resolve()
    found = (root / Path(*parts)).resolve()
    if not found.is_relative_to(root) or not found.is_file():
        raise NotFound("not found")
    return found, media_type


def create_router(settings: Settings, *, web_dir: Path = WEB_DIR) -> APIRouter:
    """The web client's routes, for `settings` (the relay origin is named in the policy)."""
    page = EntryPage.load(web_dir / "index.html", origin=settings.origin)
    worker = ServiceWorker.load(web_dir)
    manifest = (web_dir / "manifest.webmanifest").read_bytes()
    router = APIRouter()

    @router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index() -> Response:
        return Response(page.body, media_type="text/html; charset=utf-8", headers=page.headers())

    # At the root: a worker controls only the paths under its own URL.
    @router.api_route("/sw.js", methods=["GET", "HEAD"], include_in_schema=False)
    async def service_worker() -> Response:
        return Response(worker.body, media_type=MEDIA_TYPES[".js"], headers=worker.headers())

    @router.api_route("/manifest.webmanifest", methods=["GET", "HEAD"], include_in_schema=False)
    async def web_manifest() -> Response:
        return Response(manifest, media_type=MEDIA_TYPES[".webmanifest"], headers=COMMON_HEADERS)

    @router.api_route(
        STATIC_PREFIX + "/{path:path}", methods=["GET", "HEAD"], include_in_schema=False
    )
    async def static(path: str) -> FileResponse:
        found, media_type = _static_file(web_dir, path)
        return FileResponse(found, media_type=media_type, headers=COMMON_HEADERS)

    @router.get(
        "/api/v1/crisis-resources",
        tags=["support"],
        summary="Where to get help now (public: shown before login too)",
    )
    async def crisis_resources(state: StateDep) -> CrisisResourcesOut:
        return CrisisResourcesOut(
            resources=list(state.settings.crisis_resources),
            quick_exit_url=state.settings.quick_exit_url,
        )

    return router
