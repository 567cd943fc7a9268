"""The repositories on the unit of work (storage/repositories.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from factories import make_package
from sqlalchemy import Engine

from models.package import DocumentKind
from models.tables import Document
from services.intake import submit_folder
from storage.db import unit_of_work


def test_current_documents_leave_out_superseded_ones_and_keep_upload_order(
    engine: Engine, tmp_path: Path
) -> None:
    case_id = submit_folder(make_package(tmp_path / "a")).case_id
    other_case = submit_folder(make_package(tmp_path / "b", id_number="110101199003076519")).case_id
    with unit_of_work(engine) as uow:
        uploaded = uow.documents.current(case_id)
        first_front = next(d for d in uploaded if d.kind == DocumentKind.ID_FRONT.value)
        # A correction: the first front is superseded by a new one.
        first_front.superseded = True
        new_front = Document(
            case_id=case_id,
            kind=DocumentKind.ID_FRONT.value,
            original_name="id_front.jpg",
            content_hash="0" * 64,
            sniffed_type="image/jpeg",
            size_bytes=1,
        )
        uow.add(first_front, new_front)
        uow.commit()
    with unit_of_work(engine) as uow:
        current = uow.documents.current(case_id)
        fronts = uow.documents.current(case_id, DocumentKind.ID_FRONT)
        assert [d.id for d in current] == sorted(d.id for d in current if d.id is not None)
        assert first_front.id not in {d.id for d in current} and new_front.id in {d.id for d in current}
        assert [d.id for d in fronts] == [new_front.id]
        assert len(current) == len(uploaded)
        assert uow.documents.get(case_id, new_front.id or 0) is not None
        assert uow.documents.get(case_id, first_front.id or 0) is None  # superseded
        assert uow.documents.get(other_case, new_front.id or 0) is None  # another case's
