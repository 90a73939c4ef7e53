"""Numbers: the pattern, the counter, uniqueness under concurrency, numbers already used."""
import threading
from datetime import date

import pytest
from sqlalchemy import select

from intranet.models import Person

from intranet_certificates import lifecycle, numbering, settings
from intranet_certificates.models import Certificate, NumberCounter


def test_pattern_helpers():
    pattern = "{region}{year}{serial:05d}"
    assert settings.render_number(pattern, "350481", 2025, 17) == "350481202500017"
    assert settings.counter_key(pattern, "350481", 2025) == "3504812025#"
    regex = settings.number_regex(pattern)
    assert regex.fullmatch("350481202500017")
    assert not regex.fullmatch("35048120250017")
    assert not regex.fullmatch("ABC")
    assert settings.serial_width("闽{region}-{serial:06d}") == 6
    for bad in ("{region}{year}", "{name}{serial:05d}", "{serial:5}", "{serial:05d}{serial:05d}", "{region"):
        with pytest.raises(settings.PatternError):
            settings.parse_pattern(bad)


def test_numbers_follow_the_pattern_and_are_never_reused(db, certs):
    year = date.today().year
    a = certs.card()
    b = certs.card()
    assert a.number == f"350481{year}00001" and b.number == f"350481{year}00002"
    # Cancelling a card does not free its number.
    lifecycle.cancel(b, reason="调离", actor=certs.bureau)
    db.session.commit()
    assert certs.card().number == f"350481{year}00003"
    # A rolled-back issue gives its serial back: no gaps.
    certs.card(commit=False)
    db.session.rollback()
    assert certs.card().number == f"350481{year}00004"


def test_configured_region_and_pattern(db, certs):
    settings.put("region_code", "130821")
    settings.put("number_pattern", "冀{region}-{year}-{serial:04d}")
    db.session.commit()
    assert certs.card(issued_on=date(2024, 3, 1)).number == "冀130821-2024-0001"
    assert certs.card(issued_on=date(2025, 3, 1)).number == "冀130821-2025-0001"


def test_issuing_a_used_number_is_refused(db, certs):
    first = certs.card(number="350481202400555")
    with pytest.raises(lifecycle.CertificateError, match="已被使用"):
        certs.card(number=first.number)
    db.session.rollback()
    assert db.session.scalar(select(Certificate).where(Certificate.number == first.number)).id == first.id


def test_generated_number_skips_numbers_taken_by_hand(db, certs):
    year = date.today().year
    certs.card(number=f"350481{year}00001")
    assert certs.card().number == f"350481{year}00002"


def test_counter_advances_past_imported_numbers(db, certs):
    numbering.advance_counters(["350481202400040", "350481202400007", "bad"])
    db.session.commit()
    assert db.session.get(NumberCounter, "3504812024#").last_value == 40
    assert certs.card(issued_on=date(2024, 5, 1)).number == "350481202400041"


def test_twenty_concurrent_issues(app, db, certs):
    """20 threads, each with its own app context and session, issue at once: 20 distinct
    numbers, serials 1..20 without gaps, no errors (SQLite and PostgreSQL)."""
    people = [certs.person(certs.org.town_a) for _ in range(20)]
    db.session.commit()
    ids = [p.id for p in people]
    db.session.remove()
    barrier = threading.Barrier(20)
    numbers, errors = [], []
    lock = threading.Lock()

    def work(person_id):
        try:
            with app.app_context():
                from intranet.extensions import db as tdb
                person = tdb.session.get(Person, person_id)
                # Give the connection back before waiting: the pool has fewer than 20.
                tdb.session.commit()
                barrier.wait(timeout=30)
                cert = lifecycle.issue(person, department_id=person.department_id, category="市场监管", region="甲镇")
                tdb.session.commit()
                with lock:
                    numbers.append(cert.number)
                tdb.session.remove()
        except Exception as exc:  # collected and asserted below
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(pid,)) for pid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(numbers) == 20 and len(set(numbers)) == 20
    year = date.today().year
    assert sorted(numbers) == [f"350481{year}{n:05d}" for n in range(1, 21)]
    stored = db.session.scalars(select(Certificate.number)).all()
    assert sorted(stored) == sorted(numbers)
