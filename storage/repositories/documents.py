"""Documents: what the applicant uploaded, current or superseded by a correction."""

from __future__ import annotations

from sqlmodel import col, select

from models.package import DocumentKind
from models.tables import Document
from storage.repositories.base import Repository


class Documents(Repository):
    """A case's uploaded documents."""

    def all_of(self, case_id: str) -> list[Document]:
        """Every document of the case, superseded ones too, oldest first."""
        return list(
            self._session.exec(select(Document).where(Document.case_id == case_id).order_by(col(Document.id)))
        )

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
