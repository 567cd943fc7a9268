"""Repositories on the unit of work: the queries the services share, written once.

Each repository works inside the unit of work's session (its transaction); it reads and adds, and
never commits. Grows one collection at a time (`uow.documents` first): the next person moves a
query here when a second service needs it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.package import DocumentKind
from models.tables import Document


class Documents:
    """A case's uploaded documents."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def current(self, case_id: str, kind: DocumentKind | None = None) -> list[Document]:
        """The case's current documents (not superseded by a correction), oldest first; of one kind
        when `kind` is given."""
        query = select(Document).where(col(Document.case_id) == case_id, col(Document.superseded).is_(False))
        if kind is not None:
            query = query.where(col(Document.kind) == kind.value)
        return list(self._session.exec(query.order_by(col(Document.id))))

    def get(self, case_id: str, document_id: int) -> Document | None:
        """The document if it is one of the case's current ones."""
        document = self._session.get(Document, document_id)
        if document is None or document.case_id != case_id or document.superseded:
            return None
        return document
