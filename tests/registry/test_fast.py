"""``insert_now``: rows written in the given order, objects then persistent and loaded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import event, func, select

from registry.db.fast import deferred, insert_now
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



def test_deferred_rows_go_out_per_table_in_key_order_and_before_any_read(sf, engine):
    now = datetime(2026, 6, 15, tzinfo=UTC)

    def person(n: str) -> Person:
        return Person(id=uuid.uuid4(), id_key=f"resident:{n}", doc_type="resident", number=n,
                      name="张三", category="floating", created_at=now, updated_at=now)

    def document(p: Person) -> Document:
        return Document(id=uuid.uuid4(), person_id=p.id, doc_type="resident", number=p.number,
                        capture="manual", created_at=now)

    known = person("Y0")
    with sf.begin() as s:
        insert_now(s, known)
    statements: list[str] = []

    def seen(_conn: object, _cur: object, sql: str, *_rest: object) -> None:
        if sql.startswith(("INSERT", "SELECT")):
            statements.append(" ".join(sql.split()[:3]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with sf.begin() as s, deferred(s):
            # A document of a known person first, then a new person and theirs: the table
            # referred to is written first all the same.
            new = person("Y1")
            insert_now(s, document(known), new, document(new))
            assert statements == []
            assert s.scalar(select(Document.id).where(Document.person_id == new.id)) is not None
            assert statements[:3] == [
                "INSERT INTO persons", "INSERT INTO documents", "SELECT documents.id FROM"
            ]
            insert_now(s, person("Y2"))
        assert statements[-1] == "INSERT INTO persons"
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 3
        assert s.scalar(select(func.count()).select_from(Document)) == 2
