"""A reviewer fixes which words of its note a signal quotes: the log, the vector index, the
second-report matching and what the triage learns all follow the new quote.

The workspace test runs on the real local model, a real DuckDB file and a real Chroma folder;
the CLI and web tests on the hashing embedder (registered like the real one), the web's on both
engines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from fieldsignal.errors import FieldsignalError
from fieldsignal.models import NoteInput
from fieldsignal.settings import Settings, load_settings
from fieldsignal.store.review import Fix, quote_in
from fieldsignal.vectorstore.index import SIGNALS
from fieldsignal.web.app import create_app
from fieldsignal.workspace import Workspace
from tests.conftest import run_cli

NOTE = (
    "Call with Kestrel Bank on Tuesday, mostly about their Q3 data platform roadmap and training plans.\n"
    "Their security team won\u2019t sign off on the claims app until it sits behind a web application "
    "firewall.\nWe also talked about\nthe hackathon in March and who from their side will come."
)
QUOTE = "their security team won't sign off on the claims app until it sits behind a web application firewall."
TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_a_quote_is_found_as_the_note_writes_it() -> None:
    found = quote_in(NOTE, "  their SECURITY team won't  sign off ")
    assert found == "Their security team won\u2019t sign off"  # the note's own characters: case, apostrophe
    assert NOTE.index(found) > 0
    assert quote_in(NOTE, "We also talked about the hackathon") == "We also talked about\nthe hackathon"
    assert quote_in("Needs a WAF \u2014 now", "needs a waf - now") == "Needs a WAF \u2014 now"


@pytest.mark.parametrize("quote", ["", "   ", "their security team will sign off", "firewall and SSO"])
def test_a_quote_the_note_does_not_hold_is_refused(quote: str) -> None:
    with pytest.raises(FieldsignalError, match=r"quote is (empty|not in the signal's note)"):
        quote_in(NOTE, quote)


def test_a_fixed_quote_moves_the_signal_its_vector_its_index_entry_and_what_is_learnt(
    model_settings: Settings,
) -> None:
    ws = Workspace(model_settings)
    (sid,) = ws.add_notes([NoteInput(text=NOTE)]).signal_ids
    before = ws.show(sid)["signal"]
    wanted = quote_in(NOTE, QUOTE)
    if before.excerpt == wanted:  # the triage quoted it already: quote another sentence, the test still holds
        wanted = quote_in(NOTE, "we also talked about the hackathon in March")

    with pytest.raises(FieldsignalError, match="not in the signal's note"):
        ws.review(sid, "ana", Fix(gap="no-firewall", excerpt="a sentence the note never says"))
    assert ws.show(sid)["signal"] == before  # refused before anything was written
    assert not [e for e in ws.parts.labelled() if e.text == "a sentence the note never says"]

    fixed = ws.review(sid, "ana", Fix(gap="no-firewall", excerpt=wanted.upper()))
    assert fixed.excerpt == wanted and fixed.gap == "no-firewall" and fixed.decided_by == "human"
    vector = ws.parts.embedder.encode([wanted])[0]
    stored = ws.index.vectors(SIGNALS, [str(sid)])[str(sid)]
    assert np.allclose(stored, vector, atol=1e-5)  # the index holds the new quote's vector
    hit = ws.index.query(SIGNALS, vector, 1)[0]
    assert hit.id == str(sid) and hit.score > 0.999
    with ws.parts.store() as con:
        from fieldsignal.store.duplicates import stored_vectors

        assert np.allclose(stored_vectors(con, [sid])[sid], vector, atol=1e-5)  # and so does the log
    assert ws.parts.labelled()[-1].text == wanted  # the triage learns the labels from the quoted words

    ws.reindex()  # rebuilt from the log: the same vector
    assert np.allclose(ws.index.vectors(SIGNALS, [str(sid)])[str(sid)], vector, atol=1e-5)
    unchanged = ws.review(sid, "ana", Fix(excerpt=wanted))
    assert unchanged.excerpt == wanted


def test_the_cli_fixes_a_quote_and_refuses_one_the_note_lacks(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    added = run_cli("add", NOTE, "--json", home=home)
    assert added.returncode == 0, added.stderr
    sid = str(json.loads(added.stdout)["report"]["signal_ids"][0])
    bad = run_cli("review", "fix", sid, "--quote", "nothing of the sort", home=home)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "not in the signal's note" in bad.stderr
    good = run_cli("review", "fix", sid, "--quote", QUOTE, "--json", home=home)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["excerpt"] == quote_in(NOTE, QUOTE)
    shown = json.loads(run_cli("show", sid, "--json", home=home).stdout)
    assert shown["signal"]["excerpt"] == quote_in(NOTE, QUOTE) and shown["signal"]["decided_by"] == "human"


def test_the_signal_page_and_the_api_fix_a_quote(tmp_path: Path, store_url: str | None) -> None:
    home = tmp_path / "ws"
    if store_url:  # the log in PostgreSQL (the index stays a Chroma folder)
        home.mkdir(parents=True)
        (home / "config.toml").write_text(f'database_url = "{store_url}"\n', encoding="utf-8")
    settings = load_settings(env={}, home=home, embedder="hashing", vectorstore="chroma", token=TOKEN)
    with TestClient(create_app(settings)) as app:
        (signal,) = app.post("/api/notes", json={"text": NOTE}, headers=AUTH).json()["signals"]
        sid = signal["id"]
        app.post("/login", data={"token": TOKEN, "name": "ana"})
        page = app.get(f"/signals/{sid}").text
        assert 'name="quote"' in page
        form = {"signal_type": signal["signal_type"], "gap": signal["gap"] or "none", "new_gap": "",
                "customer": "", "industry": "", "archetype": "", "competitor": "", "lost": "", "acv": ""}  # fmt: skip
        same = app.post(f"/signals/{sid}/edit", data={**form, "quote": "  " + signal["excerpt"] + "\n"})
        assert "nothing changed" in same.text  # the quote as shown, re-wrapped by the browser
        saved = app.post(f"/signals/{sid}/edit", data={**form, "quote": "we also talked about the hackathon"})
        assert "saved: excerpt" in saved.text and "<mark>We also talked about\nthe hackathon</mark>" in saved.text
        refused = app.post(f"/signals/{sid}/edit", data={**form, "quote": "the hackathon was cancelled"})
        assert "not in the signal&#39;s note" in refused.text
        api = app.post(f"/api/review/{sid}/fix", json={"excerpt": QUOTE}, headers=AUTH)
        assert api.status_code == 200 and api.json()["excerpt"].startswith("Their security team won\u2019t")
        bad = app.post(f"/api/review/{sid}/fix", json={"excerpt": "not said"}, headers=AUTH)
        assert bad.status_code == 422 and "not in the signal's note" in bad.json()["detail"]
        assert app.get(f"/api/signals/{sid}").json()["signal"]["excerpt"] == api.json()["excerpt"]
        ws = app.app.state.workspace  # type: ignore[attr-defined]
        vector = ws.parts.embedder.encode([api.json()["excerpt"]])[0]
        assert np.allclose(ws.index.vectors(SIGNALS, [str(sid)])[str(sid)], vector, atol=1e-5)
