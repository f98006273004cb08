"""The account list: reading a CRM export, the learned linker, and linking through the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from fieldsignal.errors import InputError, TaxonomyError
from fieldsignal.eval.figures import EvalRow, account_figures, customer_figures
from fieldsignal.ingest.accounts import Account, read_accounts
from fieldsignal.models import NoteInput, TriageResult
from fieldsignal.settings import Settings
from fieldsignal.store.review import Fix
from fieldsignal.taxonomy import load_taxonomy
from fieldsignal.triage.accounts import AccountLinker, pair_features
from fieldsignal.triage.pipeline import LearnedTriage
from fieldsignal.workspace import Workspace
from tests.conftest import run_cli
from tests.test_store import draft

ACCOUNTS = [
    "Halvern Mutual Insurance", "Tidewater Logistics", "Corvane Aerospace", "Orrin Health",
    "Pellbrook Energy", "Pellbrook Foods", "Quist Retail Group",
]  # fmt: skip


def test_read_accounts_from_a_crm_export_or_a_plain_list(tmp_path: Path) -> None:
    csv = tmp_path / "accounts.csv"
    csv.write_text("Account Name,Industry\nOrrin Health,Health Care\n  Tidewater   Logistics ,\nOrrin Health,HLS\n")
    assert read_accounts(csv) == [Account("Orrin Health", "Health Care"), Account("Tidewater Logistics", None)]
    plain = tmp_path / "accounts.txt"
    plain.write_text("Orrin Health\n\nQuist Retail Group\n")
    assert [a.name for a in read_accounts(plain)] == ["Orrin Health", "Quist Retail Group"]
    assert read_accounts(plain)[0].industry is None
    other = tmp_path / "crm.csv"
    other.write_text("Id,Org,Segment\n1,Orrin Health,HLS\n")
    with pytest.raises(InputError, match="no account-name column"):
        read_accounts(other)
    assert read_accounts(other, column="org") == [Account("Orrin Health", None)]
    assert read_accounts(other, column="org", industry_column="segment") == [Account("Orrin Health", "HLS")]
    with pytest.raises(InputError, match="no column 'sector'"):
        read_accounts(other, column="org", industry_column="sector")
    with pytest.raises(InputError, match="needs a CSV or JSONL"):
        read_accounts(plain, industry_column="industry")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="no account names"):
        read_accounts(empty)


def test_industry_spellings_of_a_crm_map_to_the_taxonomy_codes() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.resolve("industry", "Financial Services") == "FSI"
    assert taxonomy.resolve("industry", "health-care") == "HLS"
    assert taxonomy.resolve("industry", "food & beverage") == "Retail"
    assert taxonomy.resolve("industry", "fsi") == "FSI"
    with pytest.raises(TaxonomyError, match="unknown industry 'Crypto'"):
        taxonomy.resolve("industry", "Crypto")


@pytest.fixture(scope="module")
def linker(triage_model_on_the_hashing_encoder: tuple[Any, dict[str, Any]]) -> AccountLinker:
    """The linker the session's corpus model learnt from the corpus's mentions and their accounts."""
    found = triage_model_on_the_hashing_encoder[0].linker
    assert isinstance(found, AccountLinker)
    return found


def test_the_linker_learns_short_forms_from_the_corpus(linker: AccountLinker) -> None:
    assert linker.link("halvern", ACCOUNTS) == "Halvern Mutual Insurance"
    assert linker.link("HMI", ACCOUNTS) == "Halvern Mutual Insurance"
    assert linker.link("corvane aero", ACCOUNTS) == "Corvane Aerospace"
    assert linker.link("tidewater", ACCOUNTS) == "Tidewater Logistics"
    assert linker.link("Pellbrook", ACCOUNTS) == "Pellbrook"  # two accounts fit: kept as written
    assert linker.link("Nimbus Air", ACCOUNTS) == "Nimbus Air"  # not a listed account
    assert linker.link(None, ACCOUNTS) is None and linker.link("Orrin", []) == "Orrin"
    best, p = linker.scores("Quist", ACCOUNTS)[0]
    assert best == "Quist Retail Group" and p > 0.5
    batch = ["halvern", None, "HMI", "Pellbrook", "", "Nimbus Air", "tidewater"]
    assert linker.link_many(batch, ACCOUNTS) == [linker.link(m, ACCOUNTS) for m in batch]


def test_pair_features_see_initials_and_prefixes() -> None:
    initials = pair_features("HMI", "Halvern Mutual Insurance", 0.0)
    assert initials[6] == 1.0 and pair_features("HMI", "Orrin Health", 0.0)[6] == 0.0
    assert pair_features("corvane aero", "Corvane Aerospace", 0.5)[3] == 1.0
    assert pair_features("", "Orrin Health", 0.0)[1:] == [0] * 7


def test_eval_reports_the_mention_and_the_linked_customer() -> None:
    rows = [
        EvalRow(text="a", customer="Orrin Health", customer_mention="orrin"),
        EvalRow(text="b", customer="Tidewater Logistics", customer_mention="Tidewater"),
        EvalRow(text="c", customer=None, customer_mention=None),
    ]
    present = [{"customer", "customer_mention"}] * 3
    results = [
        TriageResult(note=NoteInput(text=r.text), note_hash=r.text, signals=[draft(None, customer=c)])
        for r, c in zip(rows, ["orrin", "Tide", None], strict=True)
    ]
    seen: list[list[str]] = []

    def link(found: list[TriageResult], accounts: list[str], industries: dict) -> list[TriageResult]:
        seen.append(accounts)
        named = {"orrin": "Orrin Health"}
        customers = [r.signals[0].deal.customer for r in found]
        return [
            r.model_copy(update={"signals": [draft(None, customer=named.get(c, c) if c else None)]})
            for r, c in zip(found, customers, strict=True)
        ]

    out = customer_figures(rows, present, results, link)
    assert out["customer_mention"]["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert out["customer_linked"]["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert out["customer_linked"]["accounts"] == 2 and seen[0] == ["Orrin Health", "Tidewater Logistics"]


def test_eval_links_each_writers_notes_to_that_writers_accounts() -> None:
    """Two writers invented "Helix" accounts of their own: each world is one CRM, so a note is linked to
    its writer's accounts; the figure with one list of every writer's accounts is kept beside it."""
    rows = [
        EvalRow(text="a", customer="Helix Bank", customer_mention="Helix", writer="w1", industry="FSI"),
        EvalRow(text="b", customer="Orrin Health", customer_mention="Orrin", writer="w1", industry="HLS"),
        EvalRow(text="c", customer="Helix Health", customer_mention="Helix", writer="w2", industry="HLS"),
    ]
    present = [{"customer", "customer_mention", "industry"}] * 3
    results = [
        TriageResult(note=NoteInput(text=r.text), note_hash=r.text, signals=[draft(None, customer=r.customer_mention)])
        for r in rows
    ]
    seen: list[list[str]] = []

    def link(found: list[TriageResult], accounts: list[str], industries: dict) -> list[TriageResult]:
        """A mention links to the one account it starts, and takes that account's industry."""
        seen.append(accounts)
        out = []
        for r in found:
            written = r.signals[0].deal.customer or ""
            hits = [a for a in accounts if a.startswith(written)]
            name = hits[0] if len(hits) == 1 else written
            out.append(r.model_copy(update={"signals": [draft(None, customer=name, industry=industries.get(name))]}))
        return out

    out = customer_figures(rows, present, results, link)
    assert seen[:2] == [["Helix Bank", "Orrin Health"], ["Helix Health"]]
    assert out["customer_linked"]["accuracy"] == 1.0 and out["customer_linked"]["worlds"] == 2
    assert out["customer_linked"]["pooled"] == pytest.approx(1 / 3, abs=1e-4)  # "Helix" names two accounts
    assert out["customer_linked"]["accounts"] == 3 == out["customer_linked"]["pooled_accounts"]
    taxonomy = load_taxonomy()
    industry = account_figures(rows, present, results, link, taxonomy)["industry_linked"]
    assert industry["accuracy"] == 1.0 and industry["pooled"] == pytest.approx(1 / 3, abs=1e-4)


def test_the_linker_tries_a_notes_other_names_for_its_customer(linker: AccountLinker) -> None:
    names = [["Nimbus Air", "halvern"], ["tidewater", "HMI"], ["Nimbus Air", "the board"], [], ["Pellbrook", "Quist"]]
    # the first name that surely names an account wins; a name that fits two accounts is passed over
    assert linker.link_first(names, ACCOUNTS) == [
        "Halvern Mutual Insurance", "Tidewater Logistics", None, None, "Quist Retail Group",
    ]  # fmt: skip
    assert linker.link_first(names, []) == [None] * 5
    # with the probabilities the review gate reads: sure of the account that settled it, and of no other
    scored = linker.link_scored(names, ACCOUNTS)
    assert [account for account, _, _ in scored] == linker.link_first(names, ACCOUNTS)
    for account, top, second in scored:
        assert 0.0 <= second <= top <= 1.0
        assert (account is not None) == (top >= 0.5 > second)
    assert scored[3] == (None, 0.0, 0.0)  # no name to link
    # as the triage links them: a signal keeps its written customer when no name is an account's
    taxonomy = load_taxonomy()
    triage = LearnedTriage(taxonomy, None, SimpleNamespace(linker=linker))  # type: ignore[arg-type]
    results = [
        TriageResult(
            note=NoteInput(text=str(k)), note_hash=str(k), signals=[draft(None, customer=n[0] if n else None)],
            customer_candidates=n[1:],
        )
        for k, n in enumerate(names)
    ]  # fmt: skip
    linked = triage.link_accounts(results, ACCOUNTS)
    assert [r.signals[0].deal.customer for r in linked] == [
        "Halvern Mutual Insurance", "Tidewater Logistics", "Nimbus Air", None, "Quist Retail Group",
    ]  # fmt: skip


def test_eval_scores_the_industry_a_linked_account_gives() -> None:
    rows = [
        EvalRow(text="a", customer="Orrin Health", customer_mention="orrin", industry="HLS"),
        EvalRow(text="b", customer="Tidewater Logistics", customer_mention="Tidewater", industry="Other"),
        EvalRow(text="c", customer=None, customer_mention=None, industry="FSI"),
    ]
    present = [{"customer", "customer_mention", "industry"}] * 3
    read = [("orrin", "Retail"), ("Tide", "HLS"), (None, "FSI")]  # as the triage read each note
    results = [
        TriageResult(note=NoteInput(text=r.text), note_hash=r.text, signals=[draft(None, customer=c, industry=i)])
        for r, (c, i) in zip(rows, read, strict=True)
    ]
    taxonomy = load_taxonomy()
    triage = LearnedTriage(taxonomy, None, SimpleNamespace(linker=None))  # type: ignore[arg-type]
    # linked, "orrin" takes its account's industry, "Tide" is not linked and keeps the note's (wrong),
    # the note without a customer keeps the note's (right)
    out = account_figures(rows, present, results, triage.link_accounts, taxonomy)
    assert out["industry_linked"] == {"accuracy": pytest.approx(2 / 3, abs=1e-4), "n": 3, "accounts": 2}


def test_accounts_through_the_cli(tmp_path: Path) -> None:
    export = tmp_path / "accounts.csv"
    industries = {"Halvern Mutual Insurance": "Insurance", "Orrin Health": "Crypto", "Corvane Aerospace": "MFG"}
    export.write_text("Account Name,Industry\n" + "\n".join(f"{a},{industries.get(a, '')}" for a in ACCOUNTS) + "\n")
    home = tmp_path / "ws"
    first = run_cli("accounts", "import", str(export), home=home)
    assert first.returncode == 0 and "7 accounts added" in first.stdout and "2 with an industry" in first.stdout
    assert "industry not in the taxonomy, left unset: 'Crypto'" in first.stderr
    again = run_cli("accounts", "import", str(export), "--json", home=home)
    assert json.loads(again.stdout) == {
        "read": 7, "added": 0, "accounts": 7, "with_industry": 2, "industries_changed": 0,
        "unknown_industries": ["Crypto"],
    }  # fmt: skip
    moved = tmp_path / "moved.csv"
    moved.write_text("name,sector\nCorvane Aerospace,Public Sector\n")
    changed = run_cli("accounts", "import", str(moved), "--json", home=home)
    assert json.loads(changed.stdout)["industries_changed"] == 1
    listed = run_cli("accounts", "--json", home=home)
    assert json.loads(listed.stdout) == sorted(ACCOUNTS)
    table = run_cli("accounts", home=home).stdout.splitlines()
    assert [line.split()[-1] for line in table if line.startswith(("Corvane", "Halvern"))] == ["Other", "FSI"]
    bad = run_cli("accounts", "import", str(tmp_path / "missing.csv"), home=home)
    assert bad.returncode != 0 and "cannot read it" in bad.stderr and len(bad.stderr.strip().splitlines()) <= 2
    export_notes = tmp_path / "notes.csv"
    export_notes.write_text("account,note\nhalvern,Broker portal needs logins for outside agents without SSO\n")
    added = run_cli("import", str(export_notes), "--json", home=home)
    assert added.returncode == 0, added.stderr
    shown = json.loads(run_cli("list", "--json", home=home).stdout)
    # the account it names, and the industry the CRM gives that account
    assert [(s["customer"], s["industry"]) for s in shown] == [("Halvern Mutual Insurance", "FSI")]


def test_a_customers_industry_is_the_crms_else_the_one_a_reviewer_gave(both_settings: Settings) -> None:
    ws = Workspace(both_settings)
    texts = [
        "Pellbrook wants apps behind their own firewall",
        "Pellbrook asks again about the 24x7 compute bill",
        "Pellbrook: the app needs more than one replica at peak",
    ]
    read = {r.signals[0].deal.industry for r in ws.triage_notes([NoteInput(text=t) for t in texts])}
    told, crm = [code for code in ("Retail", "HLS", "DN", "FSI", "MFG", "Other") if code not in read][:2]

    def industry_of(text: str) -> str | None:
        report = ws.add_notes([NoteInput(text=text, customer="Pellbrook Foods")])
        return ws.signals(report.signal_ids)[0].industry

    assert industry_of(texts[0]) in read
    ws.review(ws.list_signals()[0].id, "ana", Fix(industry=told))
    assert industry_of(texts[1]) == told  # the industry a person gave this customer
    spelled = next(i.aliases[0] for i in ws.taxonomy.industries if i.code == crm)
    ws.add_accounts([Account("Pellbrook Foods", spelled)], "crm.csv")
    assert industry_of(texts[2]) == crm  # the CRM's word wins


def test_a_grown_account_list_hashes_only_its_new_names_and_links_as_one_hashed_whole(linker: AccountLinker) -> None:
    import copy
    import pickle

    from fieldsignal.triage.frozen import freeze

    frozen = copy.deepcopy(linker)
    freeze(frozen)
    grams = frozen._grams()
    hashed: list[str] = []
    original = grams.rows

    def counted(texts: list[str]) -> object:
        hashed.extend(texts)
        return original(texts)

    grams.rows = counted
    frozen.link_scored([["halvern"]], ACCOUNTS)
    grown = sorted([*ACCOUNTS, "Nimbus Air", "Aldine Bank"])  # two customers read from pasted notes
    hashed.clear()
    found = frozen.link_scored([["halvern"], ["HMI"], ["nimbus"]], grown)
    assert sorted(hashed) == ["aldine bank", "halvern", "hmi", "nimbus", "nimbus air"]  # the new names, the mentions
    whole = copy.deepcopy(linker)
    freeze(whole)  # a linker that never saw the shorter list: the grown list hashed at once
    assert found == whole.link_scored([["halvern"], ["HMI"], ["nimbus"]], grown)
    table, _ = frozen._account_table(grown)
    fresh = whole._grams().rows([" ".join(n.casefold().split()) for n in grown])
    assert (table.indptr == fresh.indptr).all() and (table.indices == fresh.indices).all()
    assert (table.data == fresh.data).all()
    del grams.rows  # the counting stand-in
    assert frozen._names and pickle.loads(pickle.dumps(frozen))._names == {}  # what was read is not kept


def test_a_batch_is_checked_and_linked_against_the_log_in_one_read(both_settings: Settings) -> None:
    from fieldsignal.ingest.text import content_hash
    from fieldsignal.store.capture import batch_context

    ws = Workspace(both_settings)
    stored = ["Pellbrook wants apps behind their own firewall", "Quarrow asks about the 24x7 compute bill"]
    report = ws.add_notes(
        [NoteInput(text=stored[0], customer="Pellbrook Foods"), NoteInput(text=stored[1], customer="Quarrow Bank")]
    )
    pellbrook, quarrow = report.signal_ids
    ws.review(pellbrook, "ana", Fix(industry="MFG"), rebuild=False)
    ws.review(pellbrook, "ana", Fix(industry="Retail"), rebuild=False)  # the latest review counts
    ws.review(quarrow, "ana", Fix(industry="HLS"), rebuild=False)
    ws.reject(quarrow, "a test row", "ana")  # a rejected signal teaches nothing
    with ws.store() as con:
        assert not batch_context(con, []).listed  # the log's customers only: no account list yet
    ws.add_accounts([Account("Halvern Mutual", "Financial Services"), Account("Ostby Freight", None)], "crm.csv")
    hashes = [content_hash(stored[1]), content_hash("a note the log does not hold")]
    with ws.store() as con:
        learning = batch_context(con, hashes)
        crm_only = batch_context(con, hashes, from_signals=False)
        nothing_new = batch_context(con, [])
    assert learning.known_hashes == crm_only.known_hashes == {content_hash(stored[1])}
    assert nothing_new.known_hashes == set()
    assert learning.customers == ("Halvern Mutual", "Ostby Freight", "Pellbrook Foods", "Quarrow Bank")
    assert learning.industries == {"Pellbrook Foods": "Retail", "Halvern Mutual": "FSI"}
    assert crm_only.customers == ("Halvern Mutual", "Ostby Freight")
    assert crm_only.industries == {"Halvern Mutual": "FSI"}
    assert nothing_new.customers == learning.customers and nothing_new.industries == learning.industries
    assert learning.listed and crm_only.listed and nothing_new.listed


def test_a_customers_later_notes_take_the_industry_its_log_gives_it(both_settings: Settings) -> None:
    """Before: each note's industry was read from that note alone, so one customer's signals could disagree
    ("Brightwater Mutual" FSI in one note, DN in the next) and a tally by industry counted it twice."""
    from fieldsignal.ingest.text import content_hash
    from fieldsignal.store import capture
    from fieldsignal.store.capture import batch_context
    from fieldsignal.taxonomy import load_taxonomy as taxonomy

    ws = Workspace(both_settings)
    text = "Brightwater's store managers want an app for shelf gaps; blocked on custom domains"
    (own,) = ws.triage_notes([NoteInput(text=text, customer="Brightwater Mutual")])
    read = own.signals[0].deal.industry  # what the note alone says
    other, usual = [i for i in ("FSI", "HLS", "MFG") if i != read][:2]  # a tie would give the other
    with ws.store(write=True) as con:
        earlier = [("Brightwater Mutual", usual, False), ("Brightwater Mutual", usual, False)]
        earlier += [("Brightwater Mutual", other, False), ("Brightwater Mutual", other, True)]
        earlier += [("Halcyon Health", usual, False), ("Halcyon Health", other, False)]  # a tie: the first read
        for n, (customer, industry, rejected) in enumerate(earlier):
            note = f"an earlier note {n}"
            result = TriageResult(
                note=NoteInput(text=note),
                note_hash=content_hash(note),
                signals=[draft(None, customer=customer, industry=industry)],
            )
            (sid,) = capture.save_result(con, result, taxonomy(), [f"k{n}"], dt.datetime(2026, 12, 1))
            if rejected:
                con.execute("UPDATE signals SET rejected_at = ? WHERE id = ?", [dt.datetime(2026, 12, 2), sid])
        context = batch_context(con, [])
    assert context.industries == {"Brightwater Mutual": usual, "Halcyon Health": usual}  # the rejected: not counted
    report = ws.add_notes([NoteInput(text=text, customer="Brightwater Mutual")])
    assert ws.show(report.signal_ids[0])["signal"].industry == usual


class _TrustsNotesReadAlone:
    """A review gate that accepts every note read alone and doubts every note linked to an account list."""

    def check(self, results: list[TriageResult], links: list[Any]) -> list[tuple[float, float] | None]:
        return [(0.0 if link is not None else 1.0, 0.5) for link in links]


def test_a_new_customers_note_is_judged_as_read_alone_unless_an_account_list_was_imported(
    fast_settings: Settings,
) -> None:
    """Before: a workspace without a CRM list links notes to the customers its log has named, and the gate
    for linked notes, learnt where every customer is on the list, judged a note naming none of them misread:
    with the shipped model, 85 of 100 notes of data/eval/test.jsonl went from accepted to review that way."""
    import copy
    import dataclasses

    triage = Workspace(fast_settings).parts.triage
    model = copy.copy(triage.model)  # the process's cached model stays as it is
    model.gate = _TrustsNotesReadAlone()
    judged = dataclasses.replace(triage, model=model, review_threshold=0.0)  # the gate alone decides
    notes = [
        "Zephyr Pay infosec blocks go-live until a WAF sits in front of the app",
        "Orrin Health asks again for private link into their VPC before the pilot",
    ]
    results = judged.triage([NoteInput(text=t) for t in notes])
    zephyr, orrin = (r.signals[0].deal.customer for r in results)
    assert zephyr and zephyr.startswith("Zephyr") and orrin == "Orrin Health"
    assert not any(r.signals[0].needs_review for r in results)  # read alone: accepted

    def verdicts(accounts: tuple[str, ...], complete: bool) -> list[tuple[str | None, bool]]:
        out = judged.link_accounts(results, accounts, complete=complete)
        return [(r.signals[0].deal.customer, r.signals[0].needs_review) for r in out]

    the_logs = ("Kestrel Foods", "Orrin Health")  # without a CRM's list: the customers the log has named
    assert verdicts(the_logs, complete=False) == [(zephyr, False), (orrin, True)]  # a new customer: read alone
    assert verdicts(the_logs, complete=True) == [(zephyr, True), (orrin, True)]  # a CRM's: not on it, doubted
    assert verdicts((), complete=True) == [(zephyr, False), (orrin, False)]  # nothing to link to

    ws = Workspace(fast_settings)  # the workspace says whether its accounts are a CRM's list
    ws.parts._triage = judged
    ws.add_notes([NoteInput(text="First call with them: apps inside their own VPC", customer="Orrin Health")])
    assert ws.add_notes([NoteInput(text=notes[0])]).queued_for_review == 0  # a new customer: read alone
    assert ws.add_notes([NoteInput(text=notes[1])]).queued_for_review == 1  # one the log names: linked
    ws.add_accounts([Account("Orrin Health", "HLS")], "crm.csv")
    assert ws.add_notes([NoteInput(text="Zephyr Pay still waits on a WAF")]).queued_for_review == 1  # not on it
