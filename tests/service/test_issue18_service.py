"""Issue 18 item 11 through the station service: control and bidirectional characters in a
guest's fields are refused by the core's text validator (``registry.identity.text``, which
the request schema uses) with a Chinese 422 naming the field; nothing is written, no full
number shown."""

from __future__ import annotations

from dbtools import table_counts
from world import HOTEL, rid

from registry.db.engine import make_engine


def test_guest_fields_with_controls_are_refused(server) -> None:
    number = rid(21)
    engine = make_engine(server.db_url)
    before = table_counts(engine)
    answers = []
    with server.client() as desk:
        for change in (
            {"name": "李\u202e四"},
            {"hukou_address": "湖南路\x071 号"},
            {"english_name": "Li\u2066Si"},
            {"hukou_address": "湖南路\u00851 号"},  # C1 NEL: a line break too
        ):
            guest = {"id_number": number, "name": "李四", **change}
            answer = desk.post(
                "/api/v1/checkins", json={"venue": HOTEL, "room": "101", "guests": [guest]}
            )
            assert answer.status_code == 422, answer.text
            assert answer.json()["field"] == f"guests.0.{next(iter(change))}"
            assert "控制字符" in answer.json()["message"]
            answers.append(answer.text)
    after = table_counts(engine)  # read once: the chainer may move audit entries meanwhile
    assert after == {**before, **_audit_only(before, after)}
    engine.dispose()
    for text in answers:
        assert number not in text
    assert "Traceback" not in server.log_text()


def _audit_only(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The audit tables may grow (a refused request is audited); nothing else."""
    audit = {"audit_log", "audit_subjects", "audit_head", "audit_pending"}
    return {t: after[t] for t in audit if t in after}


def test_upload_items_with_controls_are_refused_whole(server) -> None:
    """An upload batch is checked string by string through one serialised scan
    (``service.schemas._all_plain``): a control or bidirectional character anywhere in an
    item (a value or a key, written raw or as a JSON escape) refuses the batch with a Chinese
    422 and writes nothing; a backslash followed by ``n`` (two plain characters) passes."""
    import uuid

    engine = make_engine(server.db_url)
    before = table_counts(engine)

    def item(data: dict[str, object]) -> dict[str, object]:
        return {"id": str(uuid.uuid4()), "table": "stays", "op": "update",
                "record": str(uuid.uuid4()), "data": data}

    with server.client() as desk:
        for data in (
            {"stay": {"room": "1\n01"}},
            {"stay": {"room": "1\u202e01"}},
            {"stay": {"ro\x01om": "101"}},
            {"stay": {"note": ["a", {"deep": "b\u0085"}]}},
        ):
            body = {"venue": {"id": server.hotel}, "items": [item({"stay": {}}), item(data)]}
            answer = desk.post("/api/v1/sync/batches", json=body)
            assert answer.status_code == 422, answer.text
            assert "控制字符" in answer.json()["message"]
        after = table_counts(engine)
        assert after == {**before, **_audit_only(before, after)}
        plain = desk.post(
            "/api/v1/sync/batches",
            json={"venue": {"id": server.hotel}, "items": [item({"stay": {"room": "a\\nb"}})]},
        )
        assert plain.status_code == 200, plain.text  # applied (its item rejected: no record)
    engine.dispose()
