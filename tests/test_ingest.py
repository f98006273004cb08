from pathlib import Path

import pytest

from fieldsignal.errors import InputError
from fieldsignal.ingest import ReadOptions, note_from_text, read_paths
from fieldsignal.ingest.email import read_eml, strip_reply_and_signature
from fieldsignal.ingest.segment import segments
from fieldsignal.ingest.tables import ColumnMap, parse_date
from fieldsignal.ingest.text import content_hash

REPLY = b"""From: Priya Raman <priya@example.com>
To: apps-field@example.com
Subject: RE: Fwd: Kestrel Insurance follow-up
Date: Tue, 14 Oct 2026 09:12:00 -0400
Content-Type: text/plain; charset=utf-8

Same story on my side, their infosec lead wants the app behind their own hostname.

Thanks,
Priya Raman
Senior Solutions Architect
+1 (555) 201-3344

On Mon, Oct 13, 2026 at 4:02 PM Tom Ley <tom@example.com> wrote:
> Kestrel dropped the POC, went with Retool.
> Sad.
"""

FORWARD = b"""From: Ana <ana@example.com>
Subject: Fwd: notes from the plant visit
Date: Wed, 15 Oct 2026 10:00:00 +0000
Content-Type: text/plain

fyi below

---------- Forwarded message ---------
From: Raj <raj@example.com>
Date: Tue, Oct 14, 2026
Subject: notes from the plant visit
To: Ana <ana@example.com>

They want a GPU on the app box for the vision model.
"""

HTML_ONLY = b"""From: "Lee, Sam" <sam@example.com>
Subject: Orchid Health
Date: Thu, 16 Oct 2026 08:00:00 +0000
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><p>Orchid Health <b>cannot</b> see who opened the app.</p><p>Sent from my iPhone</p></body></html>
"""


def test_reply_keeps_only_new_words_and_headers() -> None:
    note = read_eml(REPLY, "reply.eml")
    assert note.text == "Same story on my side, their infosec lead wants the app behind their own hostname."
    assert note.author == "Priya Raman"
    assert str(note.date) == "2026-10-14"
    assert note.subject == "Kestrel Insurance follow-up"
    assert "Retool" not in note.text and "+1 (555)" not in note.text


def test_forward_drops_header_block_keeps_forwarded_text() -> None:
    note = read_eml(FORWARD, "fwd.eml")
    assert "GPU on the app box" in note.text
    assert "From: Raj" not in note.text and "Subject:" not in note.text


def test_html_only_mail_and_mobile_signature() -> None:
    note = read_eml(HTML_ONLY, "html.eml")
    assert "cannot see who opened the app" in note.text.replace("**", "")
    assert "iPhone" not in note.text
    assert note.author == "Lee, Sam"


def test_mbox_reads_every_message(tmp_path: Path) -> None:
    box = tmp_path / "x.mbox"
    box.write_bytes(
        b"From a@example.com Tue Oct 14 09:12:00 2026\n"
        + REPLY
        + b"\nFrom b@example.com Wed Oct 15 10:00:00 2026\n"
        + FORWARD
    )
    notes = list(read_paths([box]))
    assert [type(n).__name__ for n in notes] == ["NoteInput", "NoteInput"]


def test_csv_default_and_mapped_columns(tmp_path: Path) -> None:
    (tmp_path / "slack.csv").write_text('ts,user,channel,text\n2026-10-01T10:00:00,bob,#apps,"hi, they need GPUs"\n')
    (tmp_path / "crm.csv").write_text("when;who;acct;body\n10/02/2026;ann;Zenith Bank;want it on zenith.com\n")
    slack = next(iter(read_paths([tmp_path / "slack.csv"])))
    assert (slack.text, slack.author, slack.source, str(slack.date)) == (
        "hi, they need GPUs",
        "bob",
        "slack.csv: #apps",
        "2026-10-01",
    )
    mapped = ReadOptions(columns=ColumnMap(text="body", date="when", author="who", customer="acct"))
    crm = next(iter(read_paths([tmp_path / "crm.csv"], mapped)))
    assert (crm.customer, crm.author, str(crm.date)) == ("Zenith Bank", "ann", "2026-10-02")


def test_a_crm_export_is_read_by_its_own_headers_and_its_other_columns_on_request(tmp_path: Path) -> None:
    """Headers are matched as words ("Account Name" is account_name); Stage and Amount join the text when asked."""
    export = tmp_path / "report.csv"
    export.write_text(
        "Account Name,Stage,Amount,Close Date,Loss Reason,Owner Id,Notes\n"
        'Quarry Logistics,Closed Lost,"$320,000",2026-11-20,Competitor,,"Went with Vercel, needed EU edge"\n'
    )
    (plain,) = read_paths([export])
    assert (plain.customer, str(plain.date), plain.text) == (
        "Quarry Logistics",
        "2026-11-20",
        "Went with Vercel, needed EU edge",
    )
    asked = ReadOptions(columns=ColumnMap(fields=("stage", "Amount")))
    (crm,) = read_paths([export], asked)
    assert crm.text == "Went with Vercel, needed EU edge\nStage: Closed Lost | Amount: $320,000"
    (every,) = read_paths([export], ReadOptions(columns=ColumnMap(fields=("all",))))
    assert every.text.endswith(
        "Stage: Closed Lost | Amount: $320,000 | Loss Reason: Competitor"
    )  # empty cells left out
    (wrong,) = read_paths([export], ReadOptions(columns=ColumnMap(fields=("Stag",))))
    assert isinstance(wrong, InputError) and "no column 'Stag' (columns: Account Name, Stage," in str(wrong)


def test_fields_of_a_jsonl_row_are_its_strings_and_numbers(tmp_path: Path) -> None:
    rows = tmp_path / "crm.jsonl"
    rows.write_text('{"text": "went with Vercel", "amount": 320000.0, "stage": " Closed  Lost", "meta": {"a": 1}, '
                    '"won": false, "rep": null}\n')  # fmt: skip
    (note,) = read_paths([rows], ReadOptions(columns=ColumnMap(fields=("all",))))
    assert note.text == "went with Vercel\namount: 320000 | stage: Closed Lost"  # as a Spark backfill reads it


def test_jsonl_rows_and_bad_line(tmp_path: Path) -> None:
    f = tmp_path / "notes.jsonl"
    f.write_text('{"note": "first one here", "account": "Acme"}\n{broken\n{"note": "third"}\n')
    out = list(read_paths([f]))
    assert out[0].text == "first one here" and out[0].customer == "Acme"
    assert isinstance(out[1], InputError) and "line 2 is not valid JSON" in str(out[1])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\t \n", "empty note"),
        ("bin.txt", bytes(range(256)) * 8, "binary"),
        ("latin.txt", "caf\xe9 au lait".encode("latin-1"), "not UTF-8"),
        ("bad.csv", b'text,author\n"unclosed quote,bob\nx,y,z\n', "malformed CSV"),
        ("nocol.csv", b"a,b\n1,2\n", "no text column"),
        ("bad.mbox", b"this is not an mbox", "not an mbox"),
        ("pic.png", b"\x89PNG....", "unsupported file type"),
    ],
)
def test_bad_inputs_give_one_clear_error(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    out = list(read_paths([path]))
    errors = [o for o in out if isinstance(o, InputError)]
    assert errors, out
    assert message in str(errors[0]) and "\n" not in str(errors[0])


def test_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"word " * 4_000_000)  # 20 MB
    [error] = list(read_paths([path]))
    assert isinstance(error, InputError) and "20.0 MB" in str(error)


def test_encoding_option_reads_legacy_text(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("caf\xe9 team can't reach the app".encode("cp1252"))
    [note] = list(read_paths([path], ReadOptions(encoding="cp1252")))
    assert note.text.startswith("café")


def test_folder_walk_reports_bad_and_keeps_good(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("customer wants scale to zero")
    (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02")
    (tmp_path / ".hidden.txt").write_text("ignored")
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    out = list(read_paths([tmp_path]))
    assert [type(o).__name__ for o in out] == ["NoteInput", "InputError"]


def test_paste_validation() -> None:
    with pytest.raises(InputError, match="empty note"):
        note_from_text("   ")
    with pytest.raises(InputError, match="limit for one note"):
        note_from_text("x" * 50, options=ReadOptions(max_note_bytes=10))


def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("Hello  World\n") == content_hash("hello world")
    assert content_hash("hello world") != content_hash("hello there world")


def test_segments_split_bullets_and_join_fragments() -> None:
    text = "Call w/ the bank today.\n- CISO wants a WAF in front. Also the URL must be theirs\n- ok."
    assert segments(text) == [
        "Call w/ the bank today.",
        "CISO wants a WAF in front.",
        "Also the URL must be theirs ok.",
    ]


def test_reply_stripper_leaves_plain_text_alone() -> None:
    assert strip_reply_and_signature("just one line") == "just one line"


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2026-10-14", "2026-10-14"),
        ("2026-10-14T09:00:00Z", "2026-10-14"),
        ("1791990000", "2026-10-14"),
        ("10/14/2026", "2026-10-14"),
        ("soon", None),
    ],
)
def test_parse_date(raw: str, iso: str | None) -> None:
    value = parse_date(raw)
    assert (value.isoformat() if value else None) == iso
