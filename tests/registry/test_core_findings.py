"""Every finding code appears when its condition holds and resolves when it no longer does,
both incrementally (the use case reports it at once) and in a batch over a jurisdiction."""

from datetime import date, timedelta

from sqlalchemy import select

from registry.db.models import Finding
from registry.matching import checks
from registry.movements import employment, residences, stays
from registry.people import registration
from registry.places import employers, houses
from tests.registry.city import CITY, DISTRICT, STATION, build, card, rid, typed


def codes(findings):
    return sorted(f.code for f in findings)


def open_codes(sf, jurisdiction=None):
    with sf() as s:
        return sorted(f.code for f in checks.open_findings(s, jurisdiction))


def resolved(sf, code):
    with sf() as s:
        return s.scalars(
            select(Finding).where(Finding.code == code, Finding.resolved_at.is_not(None))
        ).all()


def test_pc_expired_appears_at_check_in_and_resolves_with_a_valid_card(sf, ctx):
    build(sf, ctx)
    number = rid()
    with sf.begin() as s:
        r = stays.check_in(s, ctx, "百花旅馆", "101", [card(number, valid_to=date(2026, 6, 14))])
        assert codes(r.findings) == ["PC-EXPIRED"]
    with sf.begin() as s:  # the renewed card is read at the desk
        registration.register_person(s, ctx, card(number, valid_from=date(2026, 6, 14),
                                            valid_to=date(2046, 6, 14)))
    assert "PC-EXPIRED" not in open_codes(sf)
    assert resolved(sf, "PC-EXPIRED")


def test_card_valid_through_today_is_not_expired(sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        r = stays.check_in(s, ctx, "百花旅馆", "101", [card(rid(), valid_to=date(2026, 6, 15))])
        assert r.findings == []


def test_pc_disagree_and_its_correction(sf, ctx):
    build(sf, ctx)
    number = rid()
    with sf.begin() as s:
        registration.register_person(s, ctx, typed(number, "张三", ethnicity="01"))
    with sf.begin() as s:
        r = stays.check_in(s, ctx, "百花旅馆", "101", [card(number, "张叁", ethnicity="03")])
        assert codes(r.findings) == ["PC-DISAGREE"]
        assert "姓名" in r.findings[0].detail and "民族" in r.findings[0].detail
    with sf.begin() as s:
        _, found = registration.correct_person(s, ctx, number, name="张叁", ethnicity="03")
        assert found == []
    assert "PC-DISAGREE" not in open_codes(sf)


def test_pc_disagree_ignores_the_dot_of_a_name(sf, ctx):
    """Issue 18 item 2: a name typed with another middle dot is the card's name."""
    build(sf, ctx)
    number = rid()
    with sf.begin() as s:
        registration.register_person(s, ctx, typed(number, "买买提 • 艾力"))
    with sf.begin() as s:
        r = stays.check_in(s, ctx, "百花旅馆", "101", [card(number, "买买提·艾力")])
        assert "PC-DISAGREE" not in codes(r.findings)


def test_pc_manual_resolves_when_the_card_is_read(sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        r = stays.check_in(s, ctx, "百花旅馆", "101", [typed(rid())])
        assert codes(r.findings) == ["PC-MANUAL"]
    with sf.begin() as s:
        registration.register_person(s, ctx, card(rid()))
    assert open_codes(sf) == []


def test_passport_typed_in_is_not_pc_manual(sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        guest = typed("E12345678", "JOHN SMITH", doc_type="passport", nationality="USA")
        assert stays.check_in(s, ctx, "百花旅馆", "101", [guest]).findings == []


def test_pc_two_places_at_two_hotels(sf, ctx):
    city = build(sf, ctx)
    number = rid()
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [card(number)])
    with sf.begin() as s:
        r = stays.check_in(s, ctx, city.hotel2, "8", [card(number)])
        assert codes(r.findings) == ["PC-TWO-PLACES"]
    with sf.begin() as s:
        stays.check_out(s, ctx, city.hotel, number=number)
    assert open_codes(sf) == []


def test_pc_two_places_with_two_residences(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        residences.move_in(s, ctx, city.house2, card(rid()), on=date(2026, 6, 14))
        r = residences.move_in(s, ctx, city.house, card(rid()), on=date(2026, 6, 14))
        assert "PC-TWO-PLACES" in codes(r.findings)
    with sf.begin() as s:
        residences.move_out(s, ctx, city.house2, rid(), on=date(2026, 6, 15))
    assert "PC-TWO-PLACES" not in open_codes(sf)


def test_ph_no_house_for_a_worker_and_resolution_by_move_in(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        job = employment.start_job(s, ctx, city.employer, rid(), name="张三", on=date(2026, 6, 1))
        assert {"PH-NO-HOUSE", "PJ-NO-RESIDENCE"} <= set(codes(job.findings))
    with sf.begin() as s:
        residences.move_in(s, ctx, city.house2, card(rid()), on=date(2026, 6, 14))
    remaining = open_codes(sf)
    assert "PH-NO-HOUSE" not in remaining and "PJ-NO-RESIDENCE" not in remaining


def test_ph_no_house_for_a_long_hotel_stay_in_batch(sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, "百花旅馆", "101", [card(rid())])
    month_later = ctx.at(ctx.now() + timedelta(days=31))
    with sf.begin() as s:
        assert codes(checks.check(s, month_later, CITY)) == ["PH-NO-HOUSE"]
    with sf.begin() as s:
        stays.check_out(s, month_later, "百花旅馆", room="101")
    assert open_codes(sf) == []


def test_local_worker_without_residence_is_no_finding(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        job = employment.start_job(s, ctx, city.employer, rid("440304"), name="李四")
        assert "PH-NO-HOUSE" not in codes(job.findings)
        assert "PJ-NO-RESIDENCE" not in codes(job.findings)


def test_ph_over_capacity_and_resolution(sf, ctx):
    city = build(sf, ctx)  # house capacity 2
    with sf.begin() as s:
        for seq in ("001", "002"):
            r = residences.move_in(s, ctx, city.house, card(rid(seq=seq)), relation="family")
            assert "PH-OVER-CAPACITY" not in codes(r.findings)
        r = residences.move_in(s, ctx, city.house, card(rid(seq="003")), relation="family")
        assert "PH-OVER-CAPACITY" in codes(r.findings)
    with sf.begin() as s:
        houses.update_house(s, ctx, city.house, capacity=3)
    assert "PH-OVER-CAPACITY" not in open_codes(sf)


def test_ph_unfiled_until_filing_landlord_and_pledge(sf, ctx):
    city = build(sf, ctx)
    landlord = rid("440304", "19700101", "011")
    with sf.begin() as s:
        registration.register_person(s, ctx, card(landlord, "房东甲"))
        r = residences.move_in(s, ctx, city.house, card(rid()))
        assert "PH-UNFILED" in codes(r.findings)
        assert "备案号" in next(f for f in r.findings if f.code == "PH-UNFILED").detail
    with sf.begin() as s:
        houses.update_house(s, ctx, "BH-3-101", filing="ZL-2026-0101", landlord=landlord)
    assert "PH-UNFILED" in open_codes(sf)  # pledge still missing
    with sf.begin() as s:
        houses.update_house(s, ctx, "BH-3-101", pledge=True)
    assert "PH-UNFILED" not in open_codes(sf)


def test_ph_late_at_day_four_not_day_three(sf, ctx):
    city = build(sf, ctx)  # today is 2026-06-15
    with sf.begin() as s:
        on_time = residences.move_in(s, ctx, city.house2, card(rid(seq="001")),
                                     on=date(2026, 6, 12))
        assert "PH-LATE" not in codes(on_time.findings)
        late = residences.move_in(s, ctx, city.house2, card(rid(seq="002")),
                                  on=date(2026, 6, 11))
        assert "PH-LATE" in codes(late.findings)
        finding = next(f for f in late.findings if f.code == "PH-LATE")
    with sf.begin() as s:  # a fact: the batch keeps it, a coordinator acknowledges it
        checks.check(s, ctx, CITY)
    assert "PH-LATE" in open_codes(sf)
    with sf.begin() as s:
        checks.acknowledge(s, ctx, finding.id, "已对房东进行告知")
    with sf.begin() as s:
        assert checks.check(s, ctx, CITY) == []
    assert "PH-LATE" not in open_codes(sf)


def test_ph_overdue_departure_of_a_residence(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        residences.move_in(s, ctx, city.house2, card(rid()), on=date(2026, 6, 14),
                           planned_end=date(2026, 6, 20))
    with sf.begin() as s:
        assert checks.check(s, ctx.at(ctx.now() + timedelta(days=5)), CITY) == []
    late = ctx.at(ctx.now() + timedelta(days=6))  # 2026-06-21
    with sf.begin() as s:
        assert codes(checks.check(s, late, CITY)) == ["PH-OVERDUE-DEPARTURE"]
    with sf.begin() as s:
        residences.move_out(s, late, city.house2, rid())
    assert open_codes(sf) == []


def test_ph_overdue_departure_of_a_hotel_stay_after_grace(sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, "百花旅馆", "101", [card(rid())],
                       expected_checkout=date(2026, 6, 16))
    # grace: 12 hours after the end of the local check-out day, i.e. 2026-06-17 12:00 +08
    before_grace = ctx.at(ctx.start_of(date(2026, 6, 17)) + timedelta(hours=11, minutes=59))
    with sf.begin() as s:
        assert checks.check(s, before_grace, STATION) == []
    after_grace = ctx.at(ctx.start_of(date(2026, 6, 17)) + timedelta(hours=12))
    with sf.begin() as s:
        assert codes(checks.check(s, after_grace, STATION)) == ["PH-OVERDUE-DEPARTURE"]
    with sf.begin() as s:
        stays.check_out(s, after_grace, "百花旅馆", room="101")
    assert open_codes(sf) == []


def test_pj_unknown_employer_until_registered(sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        residences.move_in(s, ctx, "BH-3-101", card(rid()), relation="family")
        job = employment.start_job(s, ctx, "无照小吃店", rid(), jurisdiction=STATION)
        assert "PJ-UNKNOWN-EMPLOYER" in codes(job.findings)
    with sf.begin() as s:
        from stdnum.cn import uscc

        body = "92440300MA5F00002"
        employers.add_employer(s, ctx, "无照小吃店", body + uscc.calc_check_digit(body), STATION)
    assert "PJ-UNKNOWN-EMPLOYER" not in open_codes(sf)


def test_pj_headcount_differs_then_matches(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        residences.move_in(s, ctx, city.house2, card(rid()), relation="family")
        assert employment.start_job(s, ctx, city.employer, rid()).findings == []
        changed = employers.update_employer(s, ctx, city.employer, headcount=2)
        assert codes(changed.findings) == ["PJ-HEADCOUNT"]
        assert "申报 2 人" in changed.findings[0].detail
    with sf.begin() as s:
        employers.update_employer(s, ctx, city.employer, headcount=1)
    assert open_codes(sf) == []


def test_batch_over_a_jurisdiction_only_touches_its_subtree(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq="001"))])
        stays.check_in(s, ctx, city.hotel2, "8", [typed(rid(seq="002"), "李梅")])
    with sf.begin() as s:  # wipe and rebuild through the batch run only
        for f in s.scalars(select(Finding)):
            s.delete(f)
    with sf.begin() as s:
        assert codes(checks.check(s, ctx, STATION)) == ["PC-MANUAL"]
    assert open_codes(sf, DISTRICT) == ["PC-MANUAL"]
    with sf.begin() as s:
        assert codes(checks.check(s, ctx, DISTRICT)) == ["PC-MANUAL"]
    assert open_codes(sf, STATION) == ["PC-MANUAL"]
    assert open_codes(sf, DISTRICT) == ["PC-MANUAL", "PC-MANUAL"]
