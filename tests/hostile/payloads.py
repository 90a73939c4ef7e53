"""Hostile values for form fields, query arguments, path segments and spreadsheet cells."""
from __future__ import annotations

from datetime import date, datetime

from hypothesis import strategies as st

# Markers for the inertness checks: each is unique, so finding it raw in a page means it was not escaped.
SCRIPT = "<script>alert('hx1')</script>"
IMG = '"><img src=x onerror=alert("hx2")>'
FORMULA = '=HYPERLINK("http://evil.example/hx3","点此")'
AT_FORMULA = "@SUM(1+1)*cmd|' /C calc'!A0"
INERT_PAYLOADS = (SCRIPT, IMG, FORMULA, AT_FORMULA)

# "长" * 800 is 7,200 bytes in a query string, under MAX_QUERY_BYTES: it reaches the views, where
# "长" * 70000 (and "x" * 5000 with other arguments) are refused with 414 before any view runs.
HOSTILE_STRINGS = [
    "", " ", "\t", "\r\n\r\n", "x" * 5000, "长" * 800, "长" * 70000,
    "'; DROP TABLE person; --", "' OR '1'='1", '" OR ""="', "1; SELECT pg_sleep(0)", "%", "_", "\\",
    *INERT_PAYLOADS, "javascript:alert(1)", "{{7*7}}", "${7*7}", "%s%n%x",
    "\u202eevil", "\ufeff", "𠀀𪚥😀", "ｅｘａｍｐｌｅ１２３", "\u3000", "\x7f", "\x85",
    "0", "-1", "-0", "1.5", "1e309", "NaN", "inf", "2147483648", "9" * 40, "１２", "0x10", "true", "None", "null",
    "2024-02-30", "0000-00-00", "9999-12-31", "1899-12-31", "2024-13-01", "24/02/2024", "2024-02-29T25:00",
    "[]", "{}", "../../../etc/passwd", "/", "?a=b&c=d", "%00", "%ff",
]

# Refused by the request guard (intranet.inputs) before any view runs; drawn now and then only, so
# that most requests reach the views.
CONTROL_STRINGS = ["\x00", "\x01", "a\x0bb", "\x1f", "\ufffe", "名\x08字"]

hostile_text = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
                         st.integers(min_value=-(2**70), max_value=2**70).map(str),
                         st.floats().map(str), st.dates().map(str))

any_text = st.one_of(hostile_text, hostile_text, hostile_text, st.sampled_from(CONTROL_STRINGS), st.text(max_size=10))

# Path segments: what an <int:...> or <string> argument might be sent instead of a real id.
BAD_IDS = ["0", "2147483648", "99999999999999999999", "abc", "１", "1%00"]
BAD_STRINGS = ["X", "%3Cscript%3Ex%3C%2Fscript%3E", "%E9%95%BF" * 300, "..%2F..%2Fetc", "%20", "%00", "-1", "%C3%28"]

# An .xlsx cannot hold control characters (openpyxl refuses them): see test_imports for those.
CELL_STRINGS = HOSTILE_STRINGS + ["=1+1", "=A1*1000", "+1", "@A1"]

cell_values = st.one_of(
    st.none(), st.sampled_from(CELL_STRINGS),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.integers(min_value=-(2**63), max_value=2**63), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(min_value=date(1900, 1, 1)), st.datetimes(min_value=datetime(1900, 1, 1)),
)
