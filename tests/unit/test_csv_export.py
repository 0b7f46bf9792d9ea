"""CSV: quoting a spreadsheet reads back exactly, formula injection neutralised, streamed in chunks."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from portal import csv_export
from portal.csv_export import csv_lines, safe_cell, safe_filename

pytestmark = pytest.mark.dbless


def parse(chunks) -> list[list[str]]:
    text = "".join(chunks)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_quoting_round_trips_commas_quotes_and_newlines():
    tricky = ['Smith, "Jo"', "two\nlines", "plain", "ünïcødé"]
    rows = parse(csv_lines(["a", "b", "c", "d"], [tricky]))
    assert rows == [["a", "b", "c", "d"], tricky]


@pytest.mark.parametrize("evil", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_formula_injection_is_neutralised(evil):
    [_, [cell]] = parse(csv_lines(["name"], [[evil]]))
    assert cell == "'" + evil


def test_numbers_dates_and_empty_cells_stay_what_they_are():
    assert safe_cell(-3) == -3 and safe_cell(Decimal("-1.50")) == Decimal("-1.50")
    assert safe_cell(None) == "" and safe_cell(True) == "yes"
    assert safe_cell(datetime(2026, 3, 1, 9, 5, tzinfo=timezone.utc)) == "2026-03-01 09:05:00"
    assert safe_cell(date(2026, 3, 1)) == "2026-03-01"
    assert parse(csv_lines(["n"], [[Decimal("-1.50")]]))[1] == ["-1.50"]


def test_rows_are_streamed_in_chunks_not_built_whole(monkeypatch):
    monkeypatch.setattr(csv_export, "FLUSH_EVERY", 10)
    pulled = []

    def rows():
        for i in range(25):
            pulled.append(i)
            yield [i]

    chunks = csv_lines(["i"], rows())
    next(chunks)                       # header only: no row pulled yet
    assert pulled == []
    next(chunks)
    assert pulled == list(range(10))   # one chunk's worth
    assert len(list(chunks)) == 2      # 10 more, then the last 5
    assert parse([csv_lines(["i"], [[1]]).__next__()]) == [["i"]]


def test_safe_filename():
    assert safe_filename('Acme "Co" / 2026') == "Acme-Co-2026"
    assert safe_filename("../../etc/passwd") == "etc-passwd"
    assert safe_filename("") == "export"
