"""Documents: what the applicant uploaded, current or superseded by a correction."""

from __future__ import annotations

from sqlmodel import col, select

from models.package import DocumentKind
from models.tables import Document, DocumentReadout, utcnow
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

    def readout_of(self, document_id: int) -> DocumentReadout | None:
        """What the read step stored for the document, if it has been read."""
        query = select(DocumentReadout).where(DocumentReadout.document_id == document_id)
        return self._session.exec(query).first()

    def record_readout(
        self,
        document: Document,
        *,
        section: str | None,
        facts: dict[str, object] | None,
        card_fields: dict[str, object],
        problems: list[str],
    ) -> None:
        """Store what reading the document gave; a later reading of the same file (a replay after a
        reader was fixed) replaces the earlier one."""
        assert document.id is not None, "a stored document has an id"
        readout = self.readout_of(document.id) or DocumentReadout(
            document_id=document.id, case_id=document.case_id, kind=document.kind
        )
        readout.section, readout.facts, readout.card_fields = section, facts, card_fields
        readout.problems, readout.read_at = problems, utcnow()
        self._session.add(readout)
