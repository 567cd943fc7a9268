"""The review pages: a case's documents, for a signed-in reviewer of the case's station only.

    GET  /review/{case_id}                                    sign-in form, or the case's documents
    POST /review/{case_id}/sign-in                            reviewer id + one-time code → session
    GET  /review/{case_id}/documents/{document_id}/pages/{n}.png   one page, re-encoded as PNG
    POST /review/sign-out                                     ends the session

The Prefect review form links here and holds nothing else (services/document_links.py). Sessions,
the station/分局 rule and the audit are services/review_sessions.py; every case page and document
page, shown or refused, is an audit row.

What the browser gets: never the applicant's bytes. An image is decoded under limits and re-encoded
(documents.safe_image.decode_image); a PDF page is rendered to an image by poppler's pdftoppm in a
child process under a time and memory limit, at a bounded size, and re-encoded the same way. Pages
carry a strict CSP (no scripts at all; images, forms and styles from here only; never framed),
documents `sandbox; default-src 'none'`; nothing is cached, sniffed or sent on as a Referer.

The session cookie is HttpOnly, SameSite=Strict, Secure when the request came over HTTPS (directly
or per X-Forwarded-Proto from the TLS proxy), scoped to /review and lives review_session_hours.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import pathlib
import re
import subprocess
import tempfile
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from config.city import load_city
from config.settings import get_settings
from documents.safe_image import DecodedImage, cv2, decode_image
from models.masking import mask_name
from models.package import DocumentKind
from models.status import CaseStatus
from models.tables import Case, Document
from services.review_sessions import (
    NOT_SIGNED_IN,
    SESSION_ENDED,
    ActiveSession,
    current_document,
    current_documents,
    load_case,
    record_view,
    session_of,
    sign_in,
    sign_out,
)
from services.reviewers import ReviewerSecretsError
from storage.db import UnitOfWork
from storage.documents import DocumentStore, get_document_store

log = logging.getLogger(__name__)

COOKIE_NAME = "rongju_review"
# A rendered or re-encoded page is at most this many pixels on its long side: enough to read a
# contract's small print, small enough to bound the work one request can cause.
MAX_SIDE = 2000
MAX_PDF_PAGES = 20
RENDER_TIMEOUT_S = 20
RENDER_MEMORY_BYTES = 768 * 1024 * 1024
_MAX_ROW_ID = 2**31 - 1  # an id beyond the integer column is not looked up
_CASE_ID = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_SHOWABLE = {"image/jpeg", "image/png", "application/pdf"}

_STYLE = (
    "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2rem auto;max-width:72rem;"
    "padding:0 1rem;color:#1a1a1a}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}"
    "form{margin:1rem 0}label{display:block;margin:.6rem 0 .2rem}input{font-size:1rem;padding:.3rem}"
    "button{font-size:1rem;padding:.3rem 1rem;margin-top:.8rem}.error{color:#a40000;font-weight:bold}"
    ".meta{color:#444}img{display:block;max-width:100%;border:1px solid #ccc;margin:.5rem 0}"
    "header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
# No script anywhere on these pages; the one inline stylesheet is allowed by its hash.
PAGE_CSP = (
    f"default-src 'none'; img-src 'self'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DOCUMENT_CSP = "sandbox; default-src 'none'"
_COMMON_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PAGE_HEADERS = _COMMON_HEADERS | {"Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY"}
DOCUMENT_HEADERS = _COMMON_HEADERS | {
    "Content-Security-Policy": DOCUMENT_CSP,
    "Cross-Origin-Resource-Policy": "same-origin",
}

router = APIRouter(tags=["review"])


# --- pages ---------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str, status: int = 200, head: str = "") -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">{head}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=PAGE_HEADERS)


def _message_page(status: int, zh: str, en: str, detail: tuple[str, str] | None = None) -> HTMLResponse:
    extra = (
        f'<p class="error">{_e(detail[0])}</p><p class="error" lang="en">{_e(detail[1])}</p>'
        if detail
        else ""
    )
    return _page(
        f"{zh} {en}", f"<main><h1>{_e(zh)} <span lang='en'>{_e(en)}</span></h1>{extra}</main>", status
    )


def _reload_page(case_id: str) -> HTMLResponse:
    """A page that at once navigates to the case page again, without a script (the CSP has none)."""
    target = _e(f"{quote(case_id, safe='')}?again=1")
    link = f'<a href="{target}">打开案件材料 <span lang="en">Open the case documents</span></a>'
    refresh = f'<meta http-equiv="refresh" content="0;url={target}">'
    return _page("审核材料 Case documents", f"<main><p>{link}</p></main>", head=refresh)


def _sign_in_page(case_id: str, error: tuple[str, str] | None = None, status: int = 200) -> HTMLResponse:
    message = (
        f'<p class="error" role="alert">{_e(error[0])}<br><span lang="en">{_e(error[1])}</span></p>'
        if error
        else ""
    )
    hours = get_settings().review_session_hours
    body = f"""<main>
<h1>审核材料登录 <span lang="en">Sign in to see the case documents</span></h1>
<p class="meta">案件 Case <strong>{_e(case_id)}</strong></p>
{message}
<form method="post" action="{_e(quote(case_id, safe=""))}/sign-in">
<label for="reviewer_id">审核人编号 <span lang="en">Reviewer id</span></label>
<input id="reviewer_id" name="reviewer_id" autocomplete="username" required maxlength="64">
<label for="one_time_code">动态验证码（6 位） <span lang="en">One-time code (6 digits)</span></label>
<input id="one_time_code" name="one_time_code" inputmode="numeric" pattern="[0-9]{{6}}" maxlength="6"
 autocomplete="one-time-code" required>
<div><button type="submit">登录 <span lang="en">Sign in</span></button></div>
</form>
<p class="meta">登录 {hours} 小时内有效；只能查看本派出所（督导：本分局）的案件；每次查看都会记录。<br>
<span lang="en">A sign-in lasts {hours} h; you see the cases of your station (supervisors: of your
bureau) only; every view is recorded.</span></p>
</main>"""
    return _page("审核材料登录 Sign in", body, status)


_BUSINESS = {"apply": "申领 first issue", "endorse": "签注 endorsement", "change": "变更 change",
             "reissue": "补领/换领 reissue"}  # fmt: skip


def _document_section(case_id: str, document: Document, pages: int) -> str:
    kind = DocumentKind(document.kind)
    label = f"{kind.label_zh} {kind.label_en}"
    heading = f"<h2>{_e(label)}</h2>"
    if pages <= 0:
        return (
            heading + "<p class='error'>无法显示此文件 <span lang='en'>This file cannot be shown</span></p>"
        )
    base = f"{quote(case_id, safe='')}/documents/{document.id}/pages"
    images = "".join(
        f'<img src="{base}/{n}.png" alt="{_e(label)} 第 {n} 页 page {n}" loading="lazy">'
        for n in range(1, min(pages, MAX_PDF_PAGES) + 1)
    )
    more = (
        f"<p class='meta'>仅显示前 {MAX_PDF_PAGES} 页 "
        f"<span lang='en'>first {MAX_PDF_PAGES} pages shown</span></p>"
        if pages > MAX_PDF_PAGES
        else ""
    )
    return heading + images + more


def _case_page(case: Case, session: ActiveSession, documents: Sequence[tuple[Document, int]]) -> HTMLResponse:
    station = "—"
    if case.station_id:
        try:
            station = load_city().station(case.station_id).name
        except KeyError:
            station = case.station_id
    status = CaseStatus(case.status)
    sections = "".join(_document_section(case.id, d, pages) for d, pages in documents) or (
        "<p>本案件没有可查看的材料 <span lang='en'>No current documents</span></p>"
    )
    # The header is masked: the reviewer checks the person against the documents themselves.
    body = f"""<header><h1>案件材料 <span lang="en">Case documents</span> · {_e(case.id)}</h1>
<form method="post" action="sign-out">
<button type="submit">退出登录 <span lang="en">Sign out</span></button></form>
</header>
<p class="meta">{_e(_BUSINESS.get(case.business_type, case.business_type))} ·
状态 Status: {_e(status.label_zh)} {_e(status.label_en)} · 派出所 Station: {_e(station)} ·
申请人 Applicant: {_e(mask_name(case.applicant_name))}</p>
<p class="meta">审核人 Reviewer: {_e(session.reviewer_id)} · 本页及每份材料的查看均有记录
<span lang="en">every view of this page and of each document is recorded</span></p>
<main>{sections}</main>"""
    return _page(f"案件材料 Case documents {case.id}", body)


# --- the re-encoded copies -----------------------------------------------------------------------


def _limited(command: list[str]) -> list[str]:
    # prlimit rather than preexec_fn: the endpoints run in a thread pool, where preexec_fn is unsafe.
    return [
        "prlimit",
        f"--as={RENDER_MEMORY_BYTES}",
        f"--cpu={RENDER_TIMEOUT_S}",
        "--",
        *command,
    ]


def _pdf_pages(data: bytes) -> int:
    """The page count of a PDF per poppler's pdfinfo (0 when it cannot be read)."""
    try:
        done = subprocess.run(
            _limited(["pdfinfo", "-"]), input=data, capture_output=True, timeout=RENDER_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return 0
    found = re.search(rb"^Pages:\s+(\d+)\s*$", done.stdout, re.MULTILINE)
    return int(found.group(1)) if done.returncode == 0 and found else 0


def _render_pdf_page(data: bytes, page: int) -> bytes | None:
    """One PDF page as PNG by pdftoppm, scaled to fit MAX_SIDE, in a limited child process."""
    with tempfile.TemporaryDirectory(prefix="rongju-page-") as folder:
        source, target = pathlib.Path(folder) / "in.pdf", pathlib.Path(folder) / "page"
        source.write_bytes(data)
        command = ["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-singlefile",
                   "-scale-to", str(MAX_SIDE), str(source), str(target)]  # fmt: skip
        try:
            done = subprocess.run(
                _limited(command), capture_output=True, timeout=RENDER_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            return None
        output = target.with_suffix(".png")
        if done.returncode != 0 or not output.exists():
            return None
        return output.read_bytes()


def page_count(document: Document, store: DocumentStore) -> int:
    """How many pages the review page shows for a document (0: it cannot be shown). Only a PDF's
    bytes are read: an image is one page whatever it holds. KeyError when the blob is missing."""
    if document.sniffed_type in ("image/jpeg", "image/png"):
        if not store.exists(document.content_hash):
            raise KeyError(document.content_hash)
        return 1
    if document.sniffed_type == "application/pdf":
        return _pdf_pages(store.get(document.content_hash))
    return 0


def render_page(document: Document, data: bytes, page: int) -> bytes | None:
    """Page `page` (from 1) of a document as a PNG we encoded ourselves; None when it cannot be."""
    if document.sniffed_type not in _SHOWABLE or page < 1 or page > MAX_PDF_PAGES:
        return None
    if document.sniffed_type == "application/pdf":
        rendered = _render_pdf_page(data, page)
        if rendered is None:
            return None
        data = rendered
    elif page != 1:
        return None
    decoded = decode_image(data)
    if not isinstance(decoded, DecodedImage):
        return None  # a DocumentProblem: the upload is not a readable picture
    if max(decoded.width, decoded.height) <= MAX_SIDE:
        return decoded.reencoded
    scale = MAX_SIDE / max(decoded.width, decoded.height)
    size = (max(1, round(decoded.width * scale)), max(1, round(decoded.height * scale)))
    ok, encoded = cv2.imencode(".png", cv2.resize(decoded.bgr, size, interpolation=cv2.INTER_AREA))
    return encoded.tobytes() if ok else None


# --- session plumbing ----------------------------------------------------------------------------


def _is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _cookie_path(request: Request) -> str:
    return f"{request.scope.get('root_path', '').rstrip('/')}/review"


def _session(request: Request, uow: UnitOfWork) -> ActiveSession | None:
    return session_of(request.cookies.get(COOKIE_NAME), uow)


def _valid_case_id(case_id: str) -> bool:
    return bool(_CASE_ID.fullmatch(case_id))


def _secrets_unusable(exc: ReviewerSecretsError) -> HTMLResponse:
    log.error("review pages: reviewer secrets unusable: %s", exc.en)
    return _message_page(
        503, "审核登录暂不可用，请联系管理员", "Sign-in is unavailable; tell the administrator"
    )


# --- routes --------------------------------------------------------------------------------------


@router.post("/review/sign-out", response_model=None)
def post_sign_out(request: Request) -> Response:
    """End the session (server side: a copied cookie stops working too) and forget the cookie."""
    uow = UnitOfWork()
    try:
        session = _session(request, uow)
    except ReviewerSecretsError as exc:
        return _secrets_unusable(exc)
    if session is not None:
        sign_out(session, uow)
    response = _message_page(200, "已退出登录", "Signed out")
    response.delete_cookie(
        COOKIE_NAME, path=_cookie_path(request), secure=_is_https(request), httponly=True, samesite="strict"
    )
    return response


@router.get("/review/{case_id}", response_model=None)
def get_case_page(case_id: str, request: Request) -> Response:
    """The case's documents for a signed-in reviewer of its station; otherwise the sign-in form."""
    if not _valid_case_id(case_id):
        return _message_page(404, "案件不存在", "No such case")
    uow = UnitOfWork()
    try:
        session = _session(request, uow)
    except ReviewerSecretsError as exc:
        return _secrets_unusable(exc)
    if session is None:
        if request.headers.get("sec-fetch-site") == "cross-site" and "again" not in request.query_params:
            # Arrived by a link from another site (the Prefect UI on its own domain): a SameSite=Strict
            # cookie is withheld from exactly this request. Load the page once more from here —
            # now a same-site navigation that carries the cookie — before asking for a sign-in.
            return _reload_page(case_id)
        ended = SESSION_ENDED if COOKIE_NAME in request.cookies else None
        return _sign_in_page(case_id, ended)
    case = load_case(case_id, uow)
    if case is None:
        return _message_page(404, "案件不存在", "No such case")
    refusal = record_view(session.reviewer_id, case, "case", uow)
    if refusal is not None:
        return _message_page(403, "无权查看本案件材料", "You may not see this case's documents", refusal)
    store = get_document_store()
    shown: list[tuple[Document, int]] = []
    for document in current_documents(case.id, uow):
        try:
            pages = page_count(document, store)
        except KeyError:
            log.error("case %s document %s: blob missing from the store", case.id, document.id)
            pages = 0
        shown.append((document, pages))
    return _case_page(case, session, shown)


@router.post("/review/{case_id}/sign-in", response_model=None)
def post_sign_in(
    case_id: str,
    request: Request,
    reviewer_id: Annotated[str, Form(max_length=64)] = "",
    one_time_code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Check the reviewer id and one-time code for this case; on success set the session cookie."""
    uow = UnitOfWork()
    if not _valid_case_id(case_id) or load_case(case_id, uow) is None:
        return _message_page(404, "案件不存在", "No such case")
    if not reviewer_id.strip():
        return _sign_in_page(case_id, ("请填写审核人编号", "Enter your reviewer id"), status=401)
    try:
        result = sign_in(uow, case_id=case_id, reviewer_id=reviewer_id, one_time_code=one_time_code)
    except ReviewerSecretsError as exc:
        return _secrets_unusable(exc)
    refusal = (result.refusal_zh or "", result.refusal_en or "")
    if result.forbidden:
        return _message_page(403, "无权查看本案件材料", "You may not see this case's documents", refusal)
    if not result.accepted or result.cookie is None:
        return _sign_in_page(case_id, refusal, status=401)
    # Relative, so the redirect works under any path prefix the proxy puts the API at.
    response = RedirectResponse(f"../{quote(case_id, safe='')}", status_code=303, headers=_COMMON_HEADERS)
    response.set_cookie(
        COOKIE_NAME,
        result.cookie,
        max_age=get_settings().review_session_hours * 3600,
        path=_cookie_path(request),
        secure=_is_https(request),
        httponly=True,
        samesite="strict",
    )
    return response


def _problem(status: int, code: str, zh: str, en: str) -> JSONResponse:
    return JSONResponse({"error": code, "zh": zh, "en": en}, status_code=status, headers=DOCUMENT_HEADERS)


@router.get("/review/{case_id}/documents/{document_id}/pages/{page}.png", response_model=None)
def get_document_page(
    case_id: str,
    document_id: Annotated[int, Path(ge=1, le=_MAX_ROW_ID)],
    page: Annotated[int, Path(ge=1, le=MAX_PDF_PAGES)],
    request: Request,
) -> Response:
    """One page of one current document of the case, re-encoded as PNG; every view is audited."""
    uow = UnitOfWork()
    try:
        session = _session(request, uow)
    except ReviewerSecretsError:
        return _problem(503, "sign_in_unavailable", "审核登录暂不可用", "sign-in is unavailable")
    if session is None:
        return _problem(401, "not_signed_in", *NOT_SIGNED_IN)
    case = load_case(case_id, uow) if _valid_case_id(case_id) else None
    document = current_document(case_id, document_id, uow) if case is not None else None
    if case is None or document is None:
        return _problem(404, "document_not_found", "材料不存在或已被补正材料替换", "no such current document")
    refusal = record_view(session.reviewer_id, case, "document", uow, document_id=document_id, page=page)
    if refusal is not None:
        return _problem(403, "forbidden", *refusal)
    try:
        data = get_document_store().get(document.content_hash)
    except KeyError:
        # A row without its blob is lost data: say so loudly in the log.
        log.error("case %s document %s: blob missing from the store", case.id, document_id)
        return _problem(404, "document_not_found", "材料文件缺失", "document file is missing")
    png = render_page(document, data, page)
    if png is None:
        return _problem(404, "page_not_found", "该页不存在或无法显示", "no such page, or it cannot be shown")
    filename = f"{document.kind}-{document_id}-p{page}.png"
    headers = DOCUMENT_HEADERS | {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(content=png, media_type="image/png", headers=headers)
