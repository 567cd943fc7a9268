"""The rongju HTTP API: `create_app()` builds the FastAPI app from one router per concern.

Routers now: health (`GET /healthz`) and the review pages (`/review/{case_id}`: a signed-in
reviewer of the case's station sees its documents, re-encoded; see api/review_pages.py). The
intake API is one more router: `app.include_router(intake_router)` in `create_app`.

No bearer capability is handed out: the Prefect review form links to `/review/{case_id}`, where the
reviewer signs in. The interactive docs and the OpenAPI schema are served in demo mode only
(RONGJU_DEMO): in production they would only describe the attack surface. In production the API sits
behind the station network's TLS.

Run it with `serve()` (uvicorn) or `uvicorn api.app:create_app --factory`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from api.review_pages import router as review_router
from config.settings import get_settings
from services.reviewers import check_reviewer_secrets

health_router = APIRouter(tags=["health"])


@health_router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers (the case DB is checked by the endpoints that use it)."""
    return {"status": "ok"}


@asynccontextmanager
async def _refuse_unusable_secrets(_app: FastAPI) -> AsyncIterator[None]:
    """The review pages check one-time codes: like every process that does, the API does not start
    when the reviewers' secrets are unusable (a demo secret outside demo mode, a readable file)."""
    check_reviewer_secrets()
    yield


def create_app() -> FastAPI:
    """The API with every router; /docs, /redoc and /openapi.json only in demo mode."""
    demo = get_settings().demo
    app = FastAPI(
        lifespan=_refuse_unusable_secrets,
        title="rongju 蓉居",
        description="成都市居住证办理 Chengdu residence-permit case pipeline: review pages (and intake).",
        version="0.1.0",
        docs_url="/docs" if demo else None,
        redoc_url="/redoc" if demo else None,
        openapi_url="/openapi.json" if demo else None,
    )
    app.include_router(health_router)
    app.include_router(review_router)
    return app


def serve(host: str = "127.0.0.1", port: int = 8765, **uvicorn_options: Any) -> None:
    """Run the API in the foreground (Ctrl-C stops it); the default address is RONGJU_API_URL's default."""
    import uvicorn

    uvicorn.run(create_app(), host=host, port=port, **uvicorn_options)
