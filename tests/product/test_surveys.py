"""Surveys: CSV import (atomic, idempotent), NPS with passives, CSAT, nulls."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.product.surveys import (
    distribution,
    import_survey_file,
    latest_comments,
    survey_summary,
    trend,
)
from tests.actors import ADMIN
from tests.product.helpers import period

HEADER = "respondent_id,kind,score,responded_at,comment\n"
ROWS = (
    "u1,nps,10,2024-03-01T10:00:00Z,Love it\n"
    "u2,nps,9,2024-03-01T11:00:00,\n"
    "u3,nps,8,2024-03-02T10:00:00Z,\n"
    "u4,nps,7,2024-03-02T10:00:00Z,\n"
    "u5,nps,6,2024-03-03T10:00:00Z,Too slow\n"
    "u1,csat,5,2024-03-01T10:00:00Z,\n"
    "u2,csat,3,2024-03-01T10:00:00Z,\n"
    "u3,csat,4,2024-03-08T10:00:00Z,\n"
)


def test_import_and_scores(store, tmp_path):
    f = tmp_path / "s.csv"
    f.write_text(HEADER + ROWS)
    report = import_survey_file(store, ADMIN, f)
    assert (report.new, report.duplicates) == (8, 0)
    again = import_survey_file(store, ADMIN, f)
    assert (again.new, again.duplicates) == (0, 8)
    s = survey_summary(store, period("2024-03-01", "2024-03-07"))
    # 2 promoters, 2 passives, 1 detractor: (2 − 1) / 5 → 20
    assert s == {
        "nps": pytest.approx(20.0), "nps_responses": 5, "promoters": 2, "passives": 2,
        "detractors": 1, "csat": pytest.approx(1 / 2), "csat_responses": 2,
    }  # fmt: skip
    p = period("2024-03-01", "2024-03-07")
    assert distribution(store, p)[10] == 1 and len(distribution(store, p, "csat")) == 5
    assert [c["comment"] for c in latest_comments(store, p)] == ["Too slow", "Love it"]
    assert [r["nps_responses"] for r in trend(store, p, "day")] == [2, 2, 1]


def test_no_responses_gives_null(store):
    s = survey_summary(store, period("2024-03-01", "2024-03-07"))
    assert s["nps"] is None and s["csat"] is None and s["nps_responses"] == 0


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("u9,nps,11,2024-03-01T10:00:00Z,", "out of range"),
        ("u9,csat,0,2024-03-01T10:00:00Z,", "out of range"),
        ("u9,ces,3,2024-03-01T10:00:00Z,", "unknown"),
        ("u9,nps,5,last tuesday,", "not ISO 8601"),
        ("u9,nps,x,2024-03-01T10:00:00Z,", "whole number"),
        (",nps,5,2024-03-01T10:00:00Z,", "respondent_id"),
    ],
)
def test_bad_row_rejects_whole_file(store, tmp_path, row, reason):
    f = tmp_path / "s.csv"
    f.write_text(HEADER + ROWS + row + "\n")
    with pytest.raises(InputError, match=f"line 10: .*{reason}"):
        import_survey_file(store, ADMIN, f)
    assert survey_summary(store, period("2024-03-01", "2024-03-07"))["nps_responses"] == 0


def test_missing_columns(store, tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("respondent_id,score\nu1,5\n")
    with pytest.raises(InputError, match="missing column"):
        import_survey_file(store, ADMIN, f)
