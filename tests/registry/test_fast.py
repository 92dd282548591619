"""``insert_now``: rows written in the given order, objects then persistent and loaded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import event, select

from registry.db.fast import insert_now
from registry.db.models import Document, Person


def test_person_then_document_in_order_and_usable_afterwards(sf, engine):
    now = datetime(2026, 6, 15, tzinfo=UTC)
    person = Person(id=uuid.uuid4(), id_key="resident:X1", doc_type="resident", number="X1",
                    name="张三", category="floating", created_at=now, updated_at=now)
    doc = Document(id=uuid.uuid4(), person_id=person.id, doc_type="resident", number="X1",
                   capture="manual", created_at=now)
    statements: list[str] = []

    def seen(_conn: object, _cur: object, sql: str, *_rest: object) -> None:
        statements.append(sql.split()[0])

    with sf.begin() as s:
        insert_now(s, person, doc)  # the document refers to the person: order matters
        event.listen(engine, "before_cursor_execute", seen)
        try:
            # Defaults were filled in and nothing is read back from the database.
            assert (person.gender, person.name_pinyin, doc.long_term) == ("0", "", False)
            assert s.get(Person, person.id) is person
            assert statements == []
            person.phone = "13800000000"  # a later change is an UPDATE at flush
            s.flush()
            assert statements == ["UPDATE"]
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    with sf() as s:
        assert s.scalar(select(Person.phone).where(Person.id == person.id)) == "13800000000"
        assert s.scalar(select(Document.person_id).where(Document.id == doc.id)) == person.id

