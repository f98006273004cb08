"""Items 1 (forged identity), 3 (script links in drafts) and the web minor items, through HTTP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from fieldsignal.settings import load_settings
from fieldsignal.web.app import create_app

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Fieldsignal-User": "ana"}
NOTE = "Kestrel Bank closed lost, $300k: infosec wanted a WAF in front of the app. They went with Vercel."
FORGED = {"X-Forwarded-Email": "attacker@evil.example", "X-Forwarded-User": "x", "X-Forwarded-Preferred-Username": "x"}
APP_ENV = {"DATABRICKS_APP_NAME": "fieldsignal", "DATABRICKS_APP_PORT": "8000"}


def client(tmp_path: Path, env: dict[str, str] | None = None, token: str | None = TOKEN) -> TestClient:
    settings = load_settings(env=env or {}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory", token=token)
    return TestClient(create_app(settings))


def seeded(tmp_path: Path) -> tuple[TestClient, int]:
    app = client(tmp_path)
    sid = app.post("/api/notes", json={"text": NOTE}, headers=AUTH).json()["signals"][0]["id"]
    return app, sid


def test_forwarded_identity_is_not_trusted_outside_the_apps_runtime(tmp_path: Path) -> None:
    app, sid = seeded(tmp_path)
    before = app.get(f"/api/signals/{sid}").json()["signal"]
    draft = app.post("/api/memos", json={"kind": "weekly", "period": "2026-W47"}, headers=AUTH).json()["id"]
    writes: list[tuple[str, dict[str, Any] | None]] = [
        ("/api/notes", {"text": "Quarry Steel signed, $120k."}),
        (f"/api/signals/{sid}/status", {"status": "Escalated"}),
        (f"/api/review/{sid}/fix", {"signal_type": "Win", "acv_usd": 99_000_000}),
        (f"/api/review/{sid}/accept", None),
        (f"/api/drafts/{draft}/approve", None),
        (f"/api/drafts/{draft}/publish", None),
    ]
    for path, body in writes:
        assert app.post(path, json=body, headers=FORGED).status_code == 401, path
    for path, form in [
        ("/notes", {"text": "Quarry Steel signed"}),
        (f"/signals/{sid}/status", {"status": "Escalated"}),
    ]:
        page = app.post(path, data=form, headers=FORGED, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    signal = app.get(f"/api/signals/{sid}").json()["signal"]
    assert signal == before and (signal["acv_usd"], signal["status"]) == (300_000, "New")
    assert app.get("/api/signals").json()[0]["id"] == sid and len(app.get("/api/signals").json()) == 1


def test_inside_the_apps_runtime_the_forwarded_user_is_the_writer(tmp_path: Path) -> None:
    app = client(tmp_path, env=APP_ENV, token=None)
    added = app.post("/api/notes", json={"text": NOTE}, headers={"X-Forwarded-Email": "dana@example.com"})
    assert added.status_code == 200 and added.json()["signals"][0]["author"] == "dana@example.com"
    missing = app.post("/api/notes", json={"text": "Quarry Steel signed"})
    assert missing.status_code == 401 and "forwarded" in missing.json()["detail"]  # fails closed


def test_cross_site_form_posts_are_refused_even_with_the_cookie(tmp_path: Path) -> None:
    app, sid = seeded(tmp_path)
    app.cookies.set("fieldsignal_token", TOKEN)
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}, {"Origin": "null"}):
        refused = app.post(f"/signals/{sid}/status", data={"status": "Won't Fix"}, headers=headers)
        assert refused.status_code == 403, headers
    fetch = app.post(f"/signals/{sid}/status", data={"status": "Won't Fix"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    same = app.post(
        f"/signals/{sid}/status",
        data={"status": "Escalated"},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303
    assert app.get(f"/api/signals/{sid}").json()["signal"]["status"] == "Escalated"


def test_script_links_never_reach_the_draft_page_or_the_published_html(tmp_path: Path) -> None:
    app, _ = seeded(tmp_path)
    draft = app.post("/api/memos", json={"kind": "weekly", "period": "2026-W47"}, headers=AUTH).json()["id"]
    body = (
        "# Memo\n\n[click](javascript:alert(1)) [two](JaVaScRiPt:alert(2)) [three](data:text/html,<script>x</script>)"
        " [four](vbscript:msgbox) [ok](https://example.com/gap) <img src=x onerror=alert(5)>\n"
    )
    assert app.post(f"/api/drafts/{draft}/edit", json={"body": body}, headers=AUTH).status_code == 200
    page = app.get(f"/drafts/{draft}").text
    memo = page.split('<article class="memo">', 1)[1].split("</article>", 1)[0]
    assert "javascript:" not in memo.lower() and "data:text" not in memo and "vbscript" not in memo.lower()
    assert "<img" not in memo and 'href="https://example.com/gap"' in memo
    app.post(f"/api/drafts/{draft}/approve", headers=AUTH)
    published = app.post(f"/api/drafts/{draft}/publish", headers=AUTH).json()
    assert all("/" not in name for name in published["files"])  # no server paths in the answer
    outbox = tmp_path / "ws" / "outbox"
    html = next(outbox.rglob(name) for name in published["files"] if name.endswith(".html")).__next__().read_text()
    assert "javascript:" not in html.lower() and "<img" not in html and "https://example.com/gap" in html


def test_odd_requests_get_a_clear_answer_not_a_500(tmp_path: Path) -> None:
    app, _ = seeded(tmp_path)
    assert app.get("/?ids=999999,99999999999999999999999").status_code == 200
    assert app.get("/api/metrics", params={"weeks": 100_000_000}).status_code == 422
    assert app.get("/api/signals/999999").status_code == 404
    assert app.get("/drafts/999999", follow_redirects=False).status_code in (303, 404)
    big = app.post("/notes", data={"text": "x " * 1_100_000}, headers=AUTH, follow_redirects=False)
    assert big.status_code == 303 and "err=" in big.headers["location"]  # a message on the page, not raw JSON
    ok = app.post("/notes", data={"text": NOTE.replace("Kestrel", "Osprey") + " " * 600_000}, headers=AUTH)
    assert ok.status_code == 200 and "signal(s) added" in ok.text  # over the framework's 1 MB field limit


def test_a_published_draft_page_shows_no_server_paths(tmp_path: Path) -> None:
    app, _ = seeded(tmp_path)
    draft = app.post("/api/memos", json={"kind": "weekly", "period": "2026-W47"}, headers=AUTH).json()["id"]
    app.post(f"/api/drafts/{draft}/approve", headers=AUTH)
    app.post(f"/api/drafts/{draft}/publish", headers=AUTH)
    page = app.get(f"/drafts/{draft}").text
    assert str(tmp_path) not in page and "published" in page


def test_ask_json_exits_non_zero_when_not_understood(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fieldsignal.cli import app as cli

    env = {
        "FIELDSIGNAL_HOME": str(tmp_path / "ws"),
        "FIELDSIGNAL_EMBEDDER": "hashing",
        "FIELDSIGNAL_VECTORSTORE": "memory",
    }
    runner = CliRunner()
    assert runner.invoke(cli, ["add", NOTE], env=env).exit_code == 0
    today = dt.date(2026, 11, 25).isoformat()
    understood = runner.invoke(
        cli, ["ask", "how many deals did we lose to vercel", "--json", "--today", today], env=env
    )
    assert understood.exit_code == 0
    lost = runner.invoke(cli, ["ask", "purple monkey dishwasher", "--json", "--today", today], env=env)
    assert lost.exit_code == 1 and '"understood": false' in lost.stdout
