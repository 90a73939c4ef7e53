"""The hostile walk: find every page, form, query argument and import kind of the app, send them
hostile data, and report what answered 5xx or changed data while refusing.

Routes and sample ids come from intranet.access_walk (the URL map and the ``access_samples`` hook),
so a new plugin is walked without naming it here. Forms are found by opening every GET page with
sample ids and reading its ``<form method="post">`` fields; query arguments by reading the GET
forms and the links of the same pages.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import inspect, text

from intranet.access_walk import build_url, request, route_owner, walked_rules
from intranet.testing import login

# Views whose POST ends the walking user's session or is the login itself.
SKIPPED_ENDPOINTS = {"auth.logout", "auth.login", "auth.password"}
COMMON_ARGS = ("page", "q", "year", "department", "department_id", "status", "sort", "format", "next",
               "per_page", "after", "kind", "date_from", "date_to")
ERROR_MARKERS = ('class="error"', "has-error", "flash-error", 'role="alert"')
REFUSING_FLASHES = {"error", "warning"}


# --- what a refusal must leave unchanged ---------------------------------------------------------

def table_snapshot(db) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its rows (order-independent)."""
    db.session.rollback()
    with db.engine.connect() as conn:
        names = sorted(n for n in inspect(conn).get_table_names() if n != "alembic_version")
        if conn.dialect.name == "postgresql":   # one round trip, summed on the server
            sql = " UNION ALL ".join(
                f"""SELECT '{n}', count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '')
                    FROM "{n}" AS t""" for n in names)
            return {name: (rows, digest) for name, rows, digest in conn.execute(text(sql))}
        out = {}
        for name in names:
            rows = sorted(repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{name}"')))
            out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return out


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))


def refused(client, response) -> bool:
    """A 4xx, a page re-rendered with its errors, or a redirect carrying an error message."""
    if 400 <= response.status_code < 500:
        return True
    if response.status_code == 200 and "text/html" in response.content_type:
        body = response.get_data(as_text=True)
        return any(marker in body for marker in ERROR_MARKERS) or "导入失败" in body
    if response.status_code in (301, 302, 303):
        with client.session_transaction() as session:
            flashes = session.get("_flashes") or []
        return any(category in REFUSING_FLASHES for category, _message in flashes)
    return False


# --- discovering pages, forms and arguments ------------------------------------------------------

@dataclass
class FormField:
    name: str
    kind: str                      # input type, "select" or "textarea"
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str                    # path of the URL the form posts to
    method: str
    endpoint: str                  # the page it was found on
    fields: dict[str, FormField] = field(default_factory=dict)
    multipart: bool = False


class _FormParser(HTMLParser):
    def __init__(self, page_url):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "option" and self._select is not None:
            if "value" in a:
                self._select.options.append(a["value"])
                if "selected" in a:
                    self._select.value = a["value"]
        elif tag == "a" and "?" in a.get("href", ""):
            self.links.append(a["href"])
        elif tag == "form":
            action = urlsplit(a.get("action") or self.page_url)
            self._form = Form(action=action.path or urlsplit(self.page_url).path, method=(a.get("method") or "get").upper(),
                              endpoint="", multipart="multipart" in a.get("enctype", ""))
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and a["name"] in self._form.fields:
                known = self._form.fields[a["name"]]
                known.options.append(a.get("value", "y"))
                if "checked" in a:
                    known.value = a.get("value", "y")
                return
            value = a.get("value", "y" if kind in ("checkbox", "radio") else "")
            checked = kind not in ("checkbox", "radio") or "checked" in a
            self._form.fields[a["name"]] = FormField(a["name"], kind, value if checked else "",
                                                     [value] if kind in ("checkbox", "radio") else [])
        elif tag == "select":
            self._select = self._form.fields[a["name"]] = FormField(a["name"], "select")
        elif tag == "textarea":
            self._textarea = self._form.fields[a["name"]] = FormField(a["name"], "textarea")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass
class Walk:
    """What one logged-in user can reach: GET urls, the forms on them and the query arguments seen."""
    get_urls: list[tuple[str, str]] = field(default_factory=list)       # (endpoint, url)
    post_urls: list[tuple[str, str]] = field(default_factory=list)
    id_rules: list = field(default_factory=list)
    forms: dict[str, Form] = field(default_factory=dict)               # action → form
    args: dict[str, set[str]] = field(default_factory=dict)            # path → argument names


def sample_ids(app, samples, rule) -> dict:
    by_owner = {s.plugin: s.ids for s in samples}
    return {**by_owner.get("core", {}), **by_owner.get(route_owner(app, rule.endpoint), {})}


def discover(app, db, client, samples, skip_paths=()) -> Walk:
    """Open every GET route (with sample ids) and collect its forms and query arguments."""
    walk = Walk()
    urls = [(rule, build_url(rule, sample_ids(app, samples, rule))) for rule in walked_rules(app)]
    skipped = {url for rule, url in urls if rule.endpoint in SKIPPED_ENDPOINTS}
    for rule, url in urls:
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        if rule.arguments:
            walk.id_rules.append(rule)
        if "POST" in rule.methods:
            walk.post_urls.append((rule.endpoint, url))
        if "GET" not in rule.methods:
            continue
        walk.get_urls.append((rule.endpoint, url))
        response, error = request(client, "GET", url, db)
        if error or response.status_code != 200 or "text/html" not in response.content_type:
            continue
        parser = _FormParser(url)
        parser.feed(response.get_data(as_text=True))
        walk.args.setdefault(url, set()).update(COMMON_ARGS)
        for href in parser.links:
            parts = urlsplit(href)
            walk.args.setdefault(parts.path or url, set()).update(k for k, _v in parse_qsl(parts.query))
        for form in parser.forms:
            form.endpoint = rule.endpoint
            if form.method == "GET":
                walk.args.setdefault(form.action, set()).update(form.fields)
            elif form.action not in walk.forms and form.action not in skipped \
                    and not any(form.action.startswith(p) for p in skip_paths):
                walk.forms[form.action] = form
    return walk


def assert_logged_in(client) -> None:
    """The walk ran logged in to its end (a request that ended the session would void the rest)."""
    response = client.get("/dashboard")
    assert response.status_code == 200, f"the walk was logged out: {response.status_code} {response.location}"


def post(client, db, url, data, *, multipart=False):
    """POST ``data`` (a dict or a list of pairs, for repeated keys); returns (response, error)."""
    from flask import g
    g.pop("_login_user", None)
    with client.session_transaction() as session:   # redirects are not followed: drop older messages
        session.pop("_flashes", None)
    try:
        kwargs = {"content_type": "multipart/form-data"} if multipart else {}
        return client.post(url, data=data, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - reported by the caller with the url
        db.session.rollback()
        return None, f"{type(exc).__name__}: {exc}"


class Snapshots:
    """Table snapshots around a run of requests; the one taken after a request that changed nothing
    serves as the next one's "before"."""

    def __init__(self, db):
        self.db = db
        self.last = None

    def before(self):
        if self.last is None:
            self.last = table_snapshot(self.db)
        return self.last

    def after(self):
        self.last = table_snapshot(self.db)
        return self.last

    def forget(self):
        self.last = None


def checked_post(client, db, url, data, where, *, multipart=False, user=None, snapshots=None,
                 answers: list | None = None) -> list[str]:
    """POST and report a 5xx, an exception, or a refusal that changed a table; log ``user`` in again
    when the request ended the session. The response is appended to ``answers`` when given."""
    snapshots = snapshots or Snapshots(db)
    before = snapshots.before()
    response, error = post(client, db, url, data, multipart=multipart)
    if error:
        snapshots.forget()
        return [f"{where}: {error}"]
    if answers is not None:
        answers.append(response)
    if user is not None and response.status_code in (302, 303) and response.location.startswith("/login"):
        login(client, user)
    if response.status_code >= 500:
        snapshots.forget()
        return [f"{where}: {response.status_code}"]
    if refused(client, response):
        changed = changed_tables(before, snapshots.after())
        if changed:
            return [f"{where}: refused ({response.status_code}) but changed {', '.join(changed)}"]
    else:
        snapshots.forget()
    return []
