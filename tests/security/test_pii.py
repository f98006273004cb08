"""PII never reaches the LLM endpoint (security issue, item 8).

The redactor runs over a corpus of greetings, sign-offs and signature blocks
(`pii_corpus.jsonl`, plus `pii_holdout.jsonl`, cases written after the recognisers were
frozen): every listed string must be gone, negatives (product words, gap names, money,
dates) must come through untouched, and the placeholders must restore. One note with a full
signature goes through the real loopback OpenAI-protocol server and the wire is checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldsignal.ingest.redact import RedactionUnavailable, redact
from fieldsignal.models import NoteInput
from fieldsignal.workspace import Workspace
from tests.fake_openai import FakeOpenAI, Reply, llm_settings

HERE = Path(__file__).parent


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]


CORPUS, HOLDOUT = _rows("pii_corpus.jsonl"), _rows("pii_holdout.jsonl")
POSITIVES = [r for r in CORPUS + HOLDOUT if r["kind"] == "pii"]
NEGATIVES = [r for r in CORPUS + HOLDOUT if r["kind"] == "negative"]


def _redact(row: dict[str, Any]) -> Any:
    return redact(row["text"], [row.get("author") or ""], row.get("customers", []))


def test_the_corpus_covers_what_the_issue_lists() -> None:
    positives = [r for r in CORPUS if r["kind"] == "pii"]
    assert len(positives) >= 80 and len(CORPUS) - len(positives) >= 20
    assert len({r["id"] for r in CORPUS + HOLDOUT}) == len(CORPUS + HOLDOUT)
    secrets = [s for r in positives for s in r["secrets"]]
    texts = "\n".join(r["text"] for r in positives)
    for needle in ("Cheers,\nMarco Rossi", "Thanks Maria", "Good morning Fatima Al-Sayed", "Dear Dr. Elena Petrova"):
        assert needle in texts, needle
    for needle in ("Raj Patel | Account Exec", "0049 30 123456", "+44 (0)20", "IBAN", "passport", "@maria.k"):
        assert needle in texts, needle
    assert all(r["secrets"] for r in positives) and len(secrets) >= 150


@pytest.mark.parametrize("row", POSITIVES, ids=[r["id"] for r in POSITIVES])
def test_every_promised_redaction_holds(row: dict[str, Any]) -> None:
    redaction = _redact(row)
    leaked = [s for s in row["secrets"] if s in redaction.text]
    assert not leaked, f"{leaked} survived in {redaction.text!r}"
    lost = [k for k in row["keep"] if k not in redaction.text]
    assert not lost, f"{lost} were redacted from {redaction.text!r}"
    if not row.get("customers"):  # a customer written in another case comes back in its configured spelling
        assert redaction.restore(redaction.text) == row["text"]


@pytest.mark.parametrize("row", NEGATIVES, ids=[r["id"] for r in NEGATIVES])
def test_product_words_money_and_dates_stay(row: dict[str, Any]) -> None:
    redaction = _redact(row)
    assert redaction.text == row["text"] and redaction.mapping == {}, redaction.text
    assert all(k in redaction.text for k in row["keep"])


def test_placeholders_are_numbered_per_kind_and_restore_everywhere() -> None:
    text = (
        "Hi Marco, Marco Rossi here.\nCall 0049 30 123456 or +44 20 7946 0958, mail marco@example.it.\n"
        "Kestrel Bank and kestrel bank agree.\nCheers,\nMarco Rossi"
    )
    r = redact(text, customers=["Kestrel Bank"])
    assert r.text == (
        "Hi <PERSON_1>, <PERSON_1> here.\nCall <PHONE_1> or <PHONE_2>, mail <EMAIL_1>.\n"
        "<CUSTOMER_1> and <CUSTOMER_1> agree.\nCheers,\n<PERSON_1>"
    )
    assert r.mapping["<PERSON_1>"] == "Marco Rossi" and r.mapping["<CUSTOMER_1>"] == "Kestrel Bank"
    answer = {"customer": "<CUSTOMER_1>", "why": ["<PERSON_1> called from <PHONE_2>"], "n": 3}
    assert r.restore(answer) == {
        "customer": "Kestrel Bank",
        "why": ["Marco Rossi called from +44 20 7946 0958"],
        "n": 3,
    }


def test_customers_may_be_sent_and_are_then_never_taken_for_a_person() -> None:
    text = "Thanks Marta Kowalski, the Vercel comparison is done. Kestrel Bank signs Friday."
    r = redact(text, customers=["Kestrel Bank", "Marta Kowalski"], redact_customers=False)
    assert "Kestrel Bank" in r.text and "Marta Kowalski" in r.text and "Vercel" in r.text


def test_a_missing_model_fails_closed_and_downloads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldsignal.ingest import pii  # spaCy and Presidio: imported by the tests that use them, not at collection

    monkeypatch.setattr(pii, "_engine", None)
    monkeypatch.setattr(pii, "MODEL", "en_core_web_sm_not_installed")
    with pytest.raises(RedactionUnavailable, match="not installed"):
        redact("Cheers,\nMarco Rossi")
    assert redact("   ").text == "   "  # nothing to redact needs no recogniser


def test_only_the_llm_path_loads_the_recogniser_and_it_never_touches_the_network() -> None:
    script = """
import socket, sys
def refuse(*args, **kwargs):
    raise AssertionError(f"network access: {args}")
socket.socket.connect = refuse
socket.create_connection = refuse
import fieldsignal.cli, fieldsignal.workspace, fieldsignal.agent.triage_assist, fieldsignal.reports.polish
assert not {"spacy", "presidio_analyzer"} & set(sys.modules), "imported without an LLM call"
from fieldsignal.ingest.redact import redact
print(redact("Cheers,\\nMarco Rossi | marco@example.it | 0049 30 123456").text)
assert {"spacy", "presidio_analyzer"} <= set(sys.modules)
assert not {"torch", "transformers"} & set(sys.modules), "spaCy or Presidio pulled in torch"
import torch  # left out of the recogniser's import only: training in this process still has it
print(torch.tensor([1.0]).sum().item())
"""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "Cheers,\n<PERSON_1> | <EMAIL_1> | <PHONE_1>\n1.0"


# ------------------------------------------------------------------------- on the wire
SIGNED_NOTE = """Good morning Fatima Al-Sayed,

thanks Maria for joining. Kestrel Bank closed lost, $300k: infosec wanted a WAF in front of Databricks Apps,
so they went with Vercel. Refund the deposit to IBAN DE62 3704 0044 0532 0130 01 (account no 0042-118-5520);
the visitor badge needs passport number X12345678. Ping @maria.k in Slack.

Cheers,
Marco Rossi | Account Exec | EMEA
Dr. Elena Petrova (CISO) · +44 (0)20 7946 0958 · 0049 30 123456 · marco.rossi@kestrelbank.co.uk
Friedrichstraße 123, 10117 Berlin
"""
WIRE_SECRETS = [
    "Fatima", "Al-Sayed", "Maria", "Kestrel", "DE62 3704", "0532 0130 01", "0042-118-5520", "X12345678",
    "maria.k", "Marco", "Rossi", "Elena", "Petrova", "7946 0958", "123456", "marco.rossi", "kestrelbank",
    "Friedrichstraße", "10117", "Jo Pemberton", "Pemberton",
]  # fmt: skip


def test_nothing_from_a_signature_reaches_the_wire(tmp_path: Path, fake: FakeOpenAI) -> None:
    reply = {
        "signals": [{"signal_type": "Loss", "gap": "no-firewall"}],
        "deal": {"customer": "<CUSTOMER_1>", "competitor": "Vercel", "acv_usd": 300000},
    }
    fake.script(Reply(json.dumps(reply)))
    ws = Workspace(llm_settings(tmp_path, fake))
    report = ws.add_notes([NoteInput(text=SIGNED_NOTE, author="Jo Pemberton", customer="Kestrel Bank")])
    (signal,) = [ws.show(i)["signal"] for i in report.signal_ids]
    sent = fake.bodies_text()
    assert fake.requests and report.llm_calls == 1
    leaked = [s for s in WIRE_SECRETS if s in sent]
    assert not leaked, leaked
    for placeholder in ("<PERSON_", "<CUSTOMER_1>", "<IBAN_1>", "<ACCOUNT_1>", "<PASSPORT_1>", "<HANDLE_1>"):
        assert placeholder in sent, placeholder  # the signature was sent, redacted, not dropped
    for placeholder in ("<PHONE_1>", "<PHONE_2>", "<EMAIL_1>", "<ADDRESS_1>"):
        assert placeholder in sent, placeholder
    for useful in ("$300k", "WAF", "Databricks Apps", "Vercel", "Account Exec", "CISO"):
        assert useful in sent, useful  # the note stays useful to the model
    assert signal.decided_by == "llm" and signal.customer == "Kestrel Bank"  # restored locally
