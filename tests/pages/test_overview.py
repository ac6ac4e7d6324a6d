from engine.store import Store
from tests.actors import ADMIN
from tests.pages.harness import assert_clean, open_page


def test_overview_renders_with_period_in_the_url(store: Store) -> None:
    at = open_page("overview.py", {"range": "7d", "compare": "0"})
    assert_clean(at)
    assert at.title[0].value == "Overview"
    assert at.selectbox(key="f_range").value == "7d"
    assert at.toggle(key="f_compare").value is False
    assert at.query_params["range"] == ["7d"] or at.query_params["range"] == "7d"


def test_custom_period_round_trips_through_query_params(store: Store) -> None:
    at = open_page("overview.py", {"range": "custom", "from": "2026-01-01", "to": "2026-01-31"})
    assert_clean(at)
    assert str(at.date_input(key="f_from").value) == "2026-01-01"
    assert any("2026-01-01 → 2026-01-31" in c.value for c in at.sidebar.caption)


def test_a_stale_schema_shows_the_fix_not_a_traceback(sqlite_store: Store) -> None:
    from sqlalchemy import text

    with sqlite_store.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    at = open_page("overview.py")
    assert not at.exception
    assert "hub init" in at.error[0].value


def test_rollback_banner_appears_when_a_rollback_criterion_is_met(store: Store) -> None:
    from engine.launch.incidents import open_incident

    at = open_page("overview.py")
    assert not [e for e in at.error if "Rollback recommended" in e.value]
    open_incident(store, ADMIN, "Customer data exposed", "SEV1", category="security_breach")
    at = open_page("overview.py")
    (banner,) = [e for e in at.error if "Rollback recommended" in e.value]
    assert "security" in banner.value.lower()
