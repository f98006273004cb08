"""End to end in headless Chromium (Debian's `chromium`, driven by Playwright) against a real `fieldsignal serve`.

Paste a note, fix its classification, draft, approve and publish a memo, ask a question —
and take a screenshot of every page at desktop and phone width (tests/artifacts/).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
TOKEN = "e2e-token"
SHOTS = Path(__file__).parent / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("e2e") / "ws"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSIGNAL_", "OPENAI_"))}
    env |= {
        "FIELDSIGNAL_HOME": str(home),
        "FIELDSIGNAL_EMBEDDER": "hashing",
        "FIELDSIGNAL_VECTORSTORE": "memory",
        "FIELDSIGNAL_TOKEN": TOKEN,
        "HF_HUB_OFFLINE": "1",
    }
    log = Path(__file__).parents[1] / "data" / "eval" / "dev_log.jsonl"
    subprocess.run([sys.executable, "-m", "fieldsignal", "import", "--labeled", str(log)], env=env, check=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fieldsignal", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    # up at once, `ready` once the triage and the duplicate scorer are loaded: minutes when a code change left
    # their cache cold (a paste before then waits for them, past the browser's 30-second click timeout)
    deadline = time.monotonic() + 900
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                if json.loads(answer.read())["ready"]:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server not ready: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium (make browser)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def sign_in(page: object, server: str, name: str) -> None:
    page.goto(f"{server}/login")  # type: ignore[attr-defined]
    page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    page.fill("input[name=token]", TOKEN)  # type: ignore[attr-defined]
    page.click("text=Sign in >> nth=-1")  # type: ignore[attr-defined]


def test_paste_fix_publish_ask(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    sign_in(page, server, "ana")
    assert "signed in as ana" in page.inner_text(".flash")

    page.goto(server)
    page.fill(
        "textarea[name=text]",
        "Orrin Health closed lost, $200k: they went with Vercel because we bill 24/7 even when idle",
    )
    page.click("button:has-text('Triage')")
    assert "signal(s) added" in page.inner_text(".flash")
    assert "Orrin Health" in page.inner_text("article.signal")

    page.select_option("form.fix select[name=gap]", "fixed-24x7-pricing")
    page.select_option("form.fix select[name=signal_type]", "Loss")
    page.click("form.fix button")
    assert "fixed" in page.inner_text(".flash")
    row = page.inner_text("tbody tr >> nth=0")
    assert "Fixed 24x7 pricing" in row and "Loss" in row
    page.select_option("tbody tr select[name=status] >> nth=0", "Escalated")
    page.click("tbody tr button:has-text('Set') >> nth=0")
    assert "→ Escalated" in page.inner_text(".flash")

    page.goto(f"{server}/drafts")
    page.select_option("select[name=kind]", "losses")
    page.fill("input[name=period]", time.strftime("%Y-%m"))
    page.click("button:has-text('Draft')")
    assert "drafted v1" in page.inner_text(".flash")
    assert page.locator("button:has-text('Publish')").is_disabled()
    page.click("button:has-text('Approve')")
    assert "approved v1" in page.inner_text(".flash")
    page.click("button:has-text('Publish')")
    assert "published" in page.inner_text(".flash")
    assert "Monthly Loss Summary" in page.inner_text("article.memo")

    page.goto(f"{server}/ask")
    page.fill("input[name=q]", "how many deals did we lose to Vercel this week")  # the log holds older ones
    page.click("button:has-text('Ask')")
    assert page.inner_text(".answer").startswith("1 lost deal")
    page.close()


@pytest.mark.parametrize(("name", "width"), [("desktop", 1280), ("phone", 390)])
def test_every_page_fits_its_screen(server: str, browser: object, name: str, width: int) -> None:
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    for path in (
        "/",
        "/review",
        "/signals",
        "/dashboard",
        "/drafts",
        "/drafts/1",
        "/signals/1",
        "/gaps",
        "/gaps/no-firewall",
        "/ask?q=top+3+gaps+by+ACV",
        "/login",
    ):
        page.goto(server + path)
        slug = path.split("?")[0].strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(SHOTS / f"{name}-{slug}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than a {width}px screen"
    page.close()


def test_a_signal_page_edits_rejects_and_restores(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    sign_in(page, server, "bo")
    page.goto(server)
    page.fill("textarea[name=text]", "Call with Tern Logistics: they need SSO with Okta before go-live, about $80k")
    page.click("button:has-text('Triage')")
    page.click("article.signal a.id")  # every id links to its signal's page
    sid = page.url.rsplit("/", 1)[1]
    assert page.inner_text("h1").startswith(f"Signal #{sid}")
    assert "Okta" in page.inner_text("blockquote.note mark")  # the sentence that carries the signal

    page.fill("form.edit input[name=customer]", "Tern Logistics GmbH")
    page.select_option("form.edit select[name=industry]", "MFG")
    page.fill("form.edit input[name=acv]", "95000")
    page.click("form.edit button:has-text('Save')")
    assert "saved: acv_usd, customer, industry" in page.inner_text(".flash")
    assert "Tern Logistics GmbH · MFG" in page.inner_text("article.signal .meta >> nth=0")
    assert "$95,000" in page.inner_text("article.signal .meta >> nth=0")
    page.fill("form.edit textarea[name=quote]", "They need SSO with Okta before go-live")  # the note's words
    page.click("form.edit button:has-text('Save')")
    assert "saved: excerpt" in page.inner_text(".flash")
    assert page.inner_text("blockquote.note mark") == "they need SSO with Okta before go-live"

    page.select_option("form.edit select[name=status]", "Escalated")
    page.fill("form.edit input[name=ticket]", "PM-77")
    page.fill("form.edit input[name=why]", "two FSI deals blocked")
    page.click("button:has-text('Set status')")
    assert f"#{sid} → Escalated" in page.inner_text(".flash") and f"/signals/{sid}?" in page.url
    assert "Escalated by bo · PM-77: two FSI deals blocked" in page.inner_text("ul.history")

    page.fill("input[placeholder^='a greeting']", "a test paste, not a customer")
    page.click("button:has-text('Reject')")
    assert "Rejected as not a signal (a test paste, not a customer)" in page.inner_text(".error")
    page.goto(f"{server}/signals")
    assert not page.locator(f"tbody a[href='/signals/{sid}']").count()  # counted nowhere, listed nowhere
    page.goto(f"{server}/signals/{sid}")
    page.click("button:has-text('Restore')")
    assert "restored" in page.inner_text(".flash") and not page.locator("p.error").count()
    page.goto(f"{server}/signals")
    assert page.locator(f"tbody a[href='/signals/{sid}']").count() == 1
    page.close()


def test_the_inbox_searches_sorts_and_acts_in_bulk(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    sign_in(page, server, "cy")
    page.goto(f"{server}/signals")
    total = page.locator("table.log tbody tr").count()
    page.fill("input[name=q]", "bank")
    page.click("form.filters button:has-text('Filter')")
    rows = page.locator("table.log tbody tr")
    assert 2 <= rows.count() < total
    page.click("th a:has-text('ACV')")  # sort by ACV, largest first
    amounts = [int(t.replace("$", "").replace(",", "") or 0) for t in page.locator("tbody td.num").all_inner_texts()]
    assert amounts == sorted(amounts, reverse=True)
    first_two = [page.locator("tbody tr").nth(i).locator("td a").first.inner_text() for i in range(2)]
    for i in range(2):
        page.locator("tbody tr").nth(i).locator("input[type=checkbox]").check()
    page.select_option("form.bulk select[name=action]", "status:Acknowledged")
    page.fill("form.bulk input[name=why]", "PM saw them in the weekly")
    page.click("form.bulk button")
    assert "2 signal(s): → Acknowledged" in page.inner_text(".flash")
    for sid in first_two:
        page.goto(f"{server}/signals/{sid}")
        assert "Acknowledged by cy: PM saw them in the weekly" in page.inner_text("ul.history")
    page.close()
