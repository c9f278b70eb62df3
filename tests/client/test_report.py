"""Tables of the clients and the bench (report.py)."""

from __future__ import annotations

from client.report import format_table


def test_format_table_aligns_columns() -> None:
    lines = format_table(["a", "bbb", ""], [["xx", "1", ""], ["y", "22", "!"]]).splitlines()
    assert lines[0] == " a | bbb"
    assert lines[2] == "xx |   1"
    assert lines[3] == " y |  22 | !"
