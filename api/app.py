"""The rongju HTTP API: `create_app()` builds the FastAPI app from one router per concern.

Routers now: health (`GET /healthz`) and documents (`GET /documents/{token}`, the short-lived signed
links the review form's images load from; see services/document_links.py). The intake API is one
more router: `app.include_router(intake_router)` in `create_app`.

The document endpoint answers only for a genuine, unexpired token, and only with the one document the
token names, if it still belongs to that case and has not been superseded by a correction. Responses
are never cached, never sniffed by the browser, carry a neutral filename (the applicant's original
filename may contain their name) and send no Referer onwards. The token is a bearer capability, so it
is kept out of the access log (see `RedactDocumentTokens`). In production the API sits behind the
station network's TLS.

Run it with `serve()` (uvicorn, access log redacted) or `uvicorn api.app:create_app --factory`.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine

from services.document_links import LinkError, LinkExpired, load_linked_document, verify_token
from storage.db import get_engine
from storage.documents import DocumentStore, get_document_store
from storage.filetype import ALLOWED_TYPES

log = logging.getLogger(__name__)

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
DOCUMENT_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _engine() -> Engine:
    return get_engine()


def _store() -> DocumentStore:
    return get_document_store()


def _problem(status: int, code: str, zh: str, en: str) -> JSONResponse:
    """An error for people: a stable code, Chinese first, English second."""
    return JSONResponse(
        status_code=status, content={"error": code, "zh": zh, "en": en}, headers=DOCUMENT_HEADERS
    )


health_router = APIRouter(tags=["health"])


@health_router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers (the case DB is checked by the endpoints that use it)."""
    return {"status": "ok"}


documents_router = APIRouter(tags=["documents"])


@documents_router.get("/documents/{token}", response_model=None)
def get_document(
    token: str,
    engine: Annotated[Engine, Depends(_engine)],
    store: Annotated[DocumentStore, Depends(_store)],
) -> Response:
    """The bytes of the one document a genuine, unexpired link names."""
    try:
        case_id, document_id = verify_token(token)
    except LinkExpired as exc:
        return _problem(403, "link_expired", exc.zh, exc.en)
    except LinkError as exc:
        return _problem(403, "link_invalid", exc.zh, exc.en)
    document = load_linked_document(case_id, document_id, engine=engine)
    if document is None:
        return _problem(404, "document_not_found", "材料不存在或已被补正材料替换", "no such current document")
    try:
        data = store.get(document.content_hash)
    except KeyError:
        # A row without its blob is lost data, not a bad link: say so loudly in the log.
        log.error(
            "case %s document %s: blob %s missing from the store",
            case_id,
            document_id,
            document.content_hash[:12],
        )
        return _problem(404, "document_not_found", "材料文件缺失", "document file is missing")
    # Only the types intake accepts are served as themselves; anything else is a download.
    allowed = document.sniffed_type in ALLOWED_TYPES
    mime_type = document.sniffed_type if allowed else "application/octet-stream"
    disposition = "inline" if allowed else "attachment"
    filename = f"{document.kind}-{document_id}.{_EXTENSIONS.get(mime_type, 'bin')}"
    headers = DOCUMENT_HEADERS | {"Content-Disposition": f'{disposition}; filename="{filename}"'}
    return Response(content=data, media_type=mime_type, headers=headers)


_TOKEN_IN_PATH = re.compile(r"(/documents/)[^\s/?\"]+")


class RedactDocumentTokens(logging.Filter):
    """Keep document-link tokens (bearer capabilities) out of uvicorn's access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub(r"\1[token]", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactDocumentTokens) for f in access.filters):
        access.addFilter(RedactDocumentTokens())


def create_app() -> FastAPI:
    """The API with every router; settings are read per request, so one app serves any environment."""
    app = FastAPI(
        title="rongju 蓉居",
        description="成都市居住证办理 Chengdu residence-permit case pipeline: document links (and intake).",
        version="0.1.0",
    )
    app.include_router(health_router)
    app.include_router(documents_router)
    _redact_access_log()
    return app


def serve(host: str = "127.0.0.1", port: int = 8765, **uvicorn_options: Any) -> None:
    """Run the API in the foreground (Ctrl-C stops it); the default address is RONGJU_API_URL's default."""
    import uvicorn

    _redact_access_log()
    uvicorn.run(create_app(), host=host, port=port, **uvicorn_options)
