"""The signals like one signal: other notes' signals nearest in meaning to its quote, read from the vector
index by the stored vector. On the real local model, a real DuckDB file and a real Chroma folder (the CLI
and the web on the hashing embedder, registered like the real one)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from fieldsignal.errors import NotFoundError
from fieldsignal.models import NoteInput
from fieldsignal.settings import Settings, load_settings
from fieldsignal.web.app import create_app
from fieldsignal.workspace import Workspace
from tests.conftest import run_cli

WAF = "Kestrel Bank: their security team won't approve the claims app until it sits behind a web application firewall."
# (the bundled MiniLM reads "WAF" as a word it does not know: this says it in words it does)
SAME_IN_OTHER_WORDS = "Osprey Rail: security sign-off for the app is blocked until there is a firewall in front of it."
OTHER = "Tern Logistics wants the app to kick off nightly batch jobs on a schedule, which it cannot do today."
TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_the_nearest_signals_in_meaning_are_other_notes_and_none_rejected(model_settings: Settings) -> None:
    ws = Workspace(model_settings)
    waf, same, other = (ws.add_notes([NoteInput(text=t)]).signal_ids[0] for t in (WAF, SAME_IN_OTHER_WORDS, OTHER))

    reader = Workspace(model_settings)  # another process's view: it reads stored vectors, no model loads
    found = reader.similar(waf)
    assert [s.id for s, _ in found][:1] == [same]  # the same ask at another customer, in other words, first
    scores = dict((s.id, score) for s, score in found)
    assert waf not in scores and all(s.note_id != reader.show(waf)["signal"].note_id for s, _ in found)
    assert other not in scores or scores[same] > scores[other]
    assert [score for _, score in found] == sorted(scores.values(), reverse=True)
    assert "embedder" not in vars(reader.parts)  # the model was never loaded
    assert len(reader.similar(waf, limit=1)) == 1

    reader.reject(same, "a test row", "ana")  # counted nowhere: listed nowhere either
    assert same not in [s.id for s, _ in reader.similar(waf)]
    with pytest.raises(NotFoundError):
        reader.similar(99_999)


def test_the_cli_the_page_and_the_api_list_the_signals_like_one(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    ids = [json.loads(run_cli("add", t, "--json", home=home).stdout)["report"]["signal_ids"][0] for t in (WAF, OTHER)]
    listed = json.loads(run_cli("similar", str(ids[0]), "--json", home=home).stdout)
    assert [row["signal"]["id"] for row in listed] == [ids[1]] and -1.0 <= listed[0]["cosine"] <= 1.0
    shown = run_cli("similar", str(ids[0]), "--limit", "3", home=home)
    assert shown.returncode == 0 and f"#{ids[1]}" in shown.stdout and "nightly batch jobs" in shown.stdout
    missing = run_cli("similar", "424242", home=home)
    assert missing.returncode == 1 and "no signal with id 424242" in missing.stderr

    settings = load_settings(env={}, home=home, embedder="hashing", vectorstore="chroma", token=TOKEN)
    with TestClient(create_app(settings)) as app:
        api = app.get(f"/api/signals/{ids[0]}/similar", params={"limit": 2}).json()
        assert [row["signal"]["id"] for row in api] == [ids[1]]
        assert app.get("/api/signals/424242/similar").status_code == 404
        app.post("/login", data={"token": TOKEN, "name": "ana"})
        page = app.get(f"/signals/{ids[0]}").text
        assert "Like this one" in page and f'href="/signals/{ids[1]}"' in page


def test_the_index_keeps_every_stored_notes_vector_and_refills_them_silently(
    model_settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldsignal import workspace_index
    from fieldsignal.store import note_vectors
    from fieldsignal.vectorstore.index import NOTES

    monkeypatch.setattr(workspace_index, "CHUNK", 2)  # read and written a few notes at a time

    ws = Workspace(model_settings)
    ws.add_notes([NoteInput(text=t) for t in (WAF, SAME_IN_OTHER_WORDS, OTHER)])
    with ws.parts.store() as con:
        stored, matrix = note_vectors.vectors(con)
    assert len(stored) == 3 and ws.index.ids(NOTES) == {str(i) for i in stored}  # added with their signals
    assert np.allclose(ws.index.vectors(NOTES, [str(stored[0])])[str(stored[0])], matrix[0], atol=1e-5)

    ws.index.delete(NOTES, [str(i) for i in stored])  # an index written before it kept notes
    ws.vector_index.close()
    with caplog.at_level(logging.WARNING):
        reader = Workspace(model_settings)
        assert reader.index.ids(NOTES) == {str(i) for i in stored}  # refilled from the log on first use
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # silently: nothing was lost
    reader.reindex()
    assert reader.index.ids(NOTES) == {str(i) for i in stored}
