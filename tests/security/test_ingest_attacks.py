"""Attack-run findings on ingest: every bad input gets one clear line, good input around it is kept.

Each test reproduces one finding (stdin encodings, bad rows, huge cells, deep folders, symlinks
out of a folder, oversized or binary e-mail messages, upload names) through the real readers,
the `fieldsignal` command (in-process with Typer's CliRunner) or the web app.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from fieldsignal.cli import app as cli_app
from fieldsignal.errors import InputError
from fieldsignal.ingest import ReadOptions, expand_paths, note_from_text, read_paths
from fieldsignal.ingest.labelled import LabelledRow, read_labelled
from fieldsignal.ingest.tables import CSV_FIELD_LIMIT
from fieldsignal.ingest.text import decode_guess
from fieldsignal.models import NoteInput
from fieldsignal.settings import load_settings
from fieldsignal.web.app import create_app
from fieldsignal.workspace import Workspace

NOTE = "Cafe Mueller Bank needs a WAF in front of the app before go-live, $200k deal"
UNSET = ("FIELDSIGNAL_LLM_MODEL", "FIELDSIGNAL_LLM_BASE_URL", "FIELDSIGNAL_LLM_API_KEY", "OPENAI_API_KEY")
LOCAL_ENV = {"FIELDSIGNAL_EMBEDDER": "hashing", "FIELDSIGNAL_VECTORSTORE": "memory", "COLUMNS": "1000"} | {
    name: None for name in (*UNSET, "FIELDSIGNAL_TAXONOMY", "OPENAI_BASE_URL")
}


def noise(size: int, seed: int, low: int = 0) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(low, 256) for _ in range(size))


def cli(home: Path, *args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli_app, ["--home", str(home), *args], input=stdin, env=LOCAL_ENV)


def stored(home: Path) -> list[tuple[str, str]]:
    ws = Workspace(load_settings(env={}, home=home, embedder="hashing", vectorstore="memory"))
    with ws.store() as con:
        return [(s, t) for s, t in con.execute("SELECT source, text FROM notes ORDER BY id").fetchall()]


def split(items: list[NoteInput | InputError]) -> tuple[list[NoteInput], list[str]]:
    notes = [i for i in items if isinstance(i, NoteInput)]
    errors = [str(i) for i in items if isinstance(i, InputError)]
    assert len(notes) + len(errors) == len(items), items
    for message in errors:
        assert "\n" not in message and "Traceback" not in message, message
    return notes, errors


def one_line_failure(result: Result) -> list[str]:
    """The command's error lines; it must have failed cleanly (exit 1, no traceback)."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if line.strip()]


# ---------------------------------------------------------------- stdin encodings
CAFE = "Café Müller’s team needs a WAF in front of the app – €200k deal"
ENCODED = {
    "cp1252": CAFE.encode("cp1252"),
    "utf-8": CAFE.encode(),
    "utf-8-bom": CAFE.encode("utf-8-sig"),
    "utf-16-bom": CAFE.encode("utf-16"),
    "utf-16-be-bom": b"\xfe\xff" + CAFE.encode("utf-16-be"),
    "utf-32-bom": CAFE.encode("utf-32"),
    "utf-16-le-no-bom": CAFE.encode("utf-16-le"),
    "utf-16-be-no-bom": CAFE.encode("utf-16-be"),
}


@pytest.mark.parametrize("label", list(ENCODED))
def test_decode_guess_reads_common_encodings(label: str) -> None:
    assert decode_guess(ENCODED[label], "stdin") == CAFE


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        noise(4000, seed=7, low=1),  # no NUL at all
        b"\x7fELF\x02\x01\x01" + noise(2000, seed=3),
    ],
)
def test_decode_guess_refuses_binary_in_one_line(data: bytes) -> None:
    with pytest.raises(InputError, match=r"^stdin: looks like binary data, not text") as caught:
        decode_guess(data, "stdin")
    assert "\n" not in str(caught.value)


def test_add_reads_cp1252_and_utf16_stdin(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSIGNAL_", "OPENAI_"))}
    env |= {"FIELDSIGNAL_HOME": str(home), "FIELDSIGNAL_EMBEDDER": "hashing", "HF_HUB_OFFLINE": "1"}
    cp1252 = "Café Müller Bank needs a WAF in front of the app, $200k deal".encode("cp1252")
    piped = subprocess.run(
        [sys.executable, "-m", "fieldsignal", "add"], input=cp1252, capture_output=True, env=env, timeout=300
    )
    assert piped.returncode == 0 and b"Traceback" not in piped.stderr, piped.stderr.decode(errors="replace")
    for data in (
        "Zürich Re wants SSO with their own Okta tenant for the app, $90k".encode("utf-16"),
        "Łódź Foods needs private networking to their VPC for the app".encode("utf-16-le"),
    ):
        result = cli(home, "add", "--json", stdin=data)
        assert result.exit_code == 0, (result.output, result.exception)
        assert json.loads(result.stdout)["report"]["notes_added"] == 1
    texts = [t for _, t in stored(home)]
    assert texts[0].startswith("Café Müller Bank") and texts[1].startswith("Zürich Re") and texts[2].startswith("Łódź")


def test_add_refuses_binary_or_oversized_stdin_with_one_line(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    # a shell argument in cp1252 reaches Python as surrogate escapes: decoded, not a traceback
    argument = "Café Müller Bank needs a WAF in front of the app".encode("cp1252").decode("utf-8", "surrogateescape")
    assert cli(home, "add", argument).exit_code == 0
    for data, message in ((b"\x7fELF\x02\x01\x00" + bytes(range(256)) * 4, "binary"), (b"a" * 9_000_000, "MB")):
        lines = one_line_failure(cli(home, "add", stdin=data))
        assert len(lines) == 1 and lines[0].startswith("error: stdin: ") and message in lines[0], lines
    assert [t for _, t in stored(home)] == ["Café Müller Bank needs a WAF in front of the app"]  # still there


# ---------------------------------------------------------------- bad rows
def test_bad_csv_rows_are_reported_by_line_and_the_rest_imported(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(
        "text,author\n"  # line 1
        "first good row about a WAF,ann\n"  # 2
        "too,many,fields\n"  # 3: bad
        '"a note that spans\n'  # 4: good, two lines
        'two lines",bob\n'  # 5
        "\n"  # 6: blank
        ",carl\n"  # 7: bad, empty text
        '"quoted"junk,dan\n'  # 8: bad quoting
        "last good row about SSO,eve\n"  # 9
    )
    notes, errors = split(list(read_paths([path])))
    assert [n.text for n in notes] == [
        "first good row about a WAF",
        "a note that spans\ntwo lines",
        "last good row about SSO",
    ]
    assert len(errors) == 3, errors
    assert errors[0] == f"{path}: line 3: malformed CSV: expected 2 fields, got 3"
    assert errors[1] == f"{path}: line 7: empty note (nothing but white space)"
    assert errors[2].startswith(f"{path}: line 8: malformed CSV: ")


def test_doubled_quotes_read_right_even_when_the_sniffed_sample_has_none(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text("text,author\n" + "plain row about the WAF,a\n" * 400 + '"CISO said ""no WAF, no deal""",b\n')
    notes, errors = split(list(read_paths([path])))
    assert errors == [] and notes[-1].text == 'CISO said "no WAF, no deal"'


def test_unclosed_csv_quote_loses_only_its_own_row(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        'text,author\ngood one about WAF,a\n"never closed,b\ngood two about SSO,c\ngood three about VPC,d\n'
    )
    notes, errors = split(list(read_paths([path])))
    assert [n.text for n in notes] == ["good one about WAF", "good two about SSO", "good three about VPC"]
    assert len(errors) == 1 and errors[0].startswith(f"{path}: line 3: malformed CSV: "), errors


def test_bad_jsonl_rows_are_reported_by_physical_line(tmp_path: Path) -> None:
    path = tmp_path / "slack.jsonl"
    lines = [
        '{"text": "first good message about a WAF"}',  # 1
        "",  # 2 blank
        "{broken",  # 3
        '["not", "an object"]',  # 4
        '{"text": ""}',  # 5 empty text
        "[" * 100_000 + "]" * 100_000,  # 6 nested beyond the parser
        '{"text": "line sep \u2028 inside a string about SSO"}',  # 7 U+2028 is legal JSON
        '{"text": "last good message about VPC"}\r',  # 8 CRLF
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    notes, errors = split(list(read_paths([path])))
    assert [n.text for n in notes][::2] == ["first good message about a WAF", "last good message about VPC"]
    assert len(notes) == 3 and "\u2028" in notes[1].text
    assert len(errors) == 4, errors
    assert errors[0].startswith(f"{path}: line 3 is not valid JSON: ")
    assert errors[1] == f"{path}: line 4 is not a JSON object"
    assert errors[2] == f"{path}: line 5: empty note (nothing but white space)"
    assert errors[3] == f"{path}: line 6 nests too deeply to read"


def test_labelled_rows_get_the_same_treatment(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("Date,Gap,Text\n2026-10-01,waf,good one\n2026-10-02,waf,x,extra\n2026-10-03,sso,good two\n")
    out = list(read_labelled(path))
    assert [o.text for o in out if isinstance(o, LabelledRow)] == ["good one", "good two"]
    [error] = [str(o) for o in out if isinstance(o, InputError)]
    assert error.startswith(f"{path}: line 3: malformed CSV: expected 3 fields, got 4")


def test_import_keeps_good_rows_and_names_the_bad_ones(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    assert cli(home, "add", NOTE).exit_code == 0
    path = tmp_path / "crm.csv"
    path.write_text(
        "text,customer\n"
        "Harbor Bank needs a WAF in front of the app,Harbor Bank\n"
        "bad,row,here\n"
        "Wren Foods wants SSO with their Okta tenant,Wren Foods\n"
    )
    lines = one_line_failure(cli(home, "import", str(path)))
    assert [line for line in lines if "failed" in line] == [
        f"failed: {path}: line 3: malformed CSV: expected 2 fields, got 3"
    ]
    assert [t for _, t in stored(home)] == [
        NOTE,
        "Harbor Bank needs a WAF in front of the app",
        "Wren Foods wants SSO with their Okta tenant",
    ]


# ---------------------------------------------------------------- huge cells
def test_a_cell_over_the_csv_default_limit_is_read(tmp_path: Path) -> None:
    assert 131_072 < ReadOptions().max_note_bytes < CSV_FIELD_LIMIT <= 64 * 1024 * 1024
    big = "customer needs a WAF " * 10_000  # 210,000 characters
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([["text", "author"], ["small one", "a"], [big, "b"], ["small two", "c"]])
    notes, errors = split(list(read_paths([path])))
    assert errors == [] and [len(n.text) for n in notes] == [9, len(big.strip()), 9]
    assert csv.field_size_limit() == CSV_FIELD_LIMIT


@pytest.mark.parametrize("size", [3_000_000, CSV_FIELD_LIMIT + 10])
def test_a_cell_too_big_is_reported_alone(tmp_path: Path, size: int) -> None:
    path = tmp_path / "big.csv"
    path.write_text(f"text,author\nsmall one,a\n{'x' * size},b\nsmall two,c\n")
    notes, errors = split(list(read_paths([path])))
    assert [n.text for n in notes] == ["small one", "small two"]
    assert len(errors) == 1 and errors[0].startswith(f"{path}: line 3: "), errors


# ---------------------------------------------------------------- folders
@pytest.fixture
def tower(tmp_path: Path) -> Iterator[Path]:
    """1,200 nested folders, built and removed without recursion (os.makedirs and shutil.rmtree recurse)."""
    root = tmp_path / "tower"
    levels = [os.path.join(str(root), *(["d"] * n)) for n in range(1201)]
    for level in levels:
        os.mkdir(level)
    (root / "top.txt").write_text("top note: customer needs a WAF")
    Path(levels[20], "mid.txt").write_text("mid note: customer needs a VPC")
    Path(levels[-1], "deep.txt").write_text("deep note: customer needs SSO")
    yield root
    for level in reversed(levels):
        for name in os.listdir(level):
            if not os.path.isdir(os.path.join(level, name)):
                os.unlink(os.path.join(level, name))
        os.rmdir(level)


def test_deeply_nested_folders_do_not_abort_the_batch(tower: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("another file: needs audit logs")
    notes, errors = split(list(read_paths([tower, other])))
    assert sorted(n.text for n in notes) == [
        "another file: needs audit logs",
        "mid note: customer needs a VPC",
        "top note: customer needs a WAF",
    ]
    assert len(errors) == 1 and "nested deeper than" in errors[0] and str(tower) in errors[0], errors


def test_folder_walk_does_not_recurse(tower: Path) -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(__import__("inspect").stack()) + 60)
    try:
        found = list(expand_paths([tower]))
    finally:
        sys.setrecursionlimit(limit)
    assert sum(isinstance(f, Path) for f in found) == 2


def test_symlinks_out_of_a_folder_are_skipped_and_reported(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret: not for import")
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "ok.txt").write_text("ok note: customer needs a WAF")
    (folder / "sub" / "inner.txt").write_text("inner note: needs SSO")
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    (folder / "out").symlink_to(outside, target_is_directory=True)
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "relative.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    (folder / "alias.txt").symlink_to(folder / "sub" / "inner.txt")  # inside: fine
    (folder / "loop").symlink_to(folder, target_is_directory=True)  # inside, but a cycle
    notes, errors = split(list(read_paths([folder])))
    texts = sorted(n.text for n in notes)
    assert texts == ["inner note: needs SSO", "inner note: needs SSO", "ok note: customer needs a WAF"], texts
    assert not any("secret" in t or "root:" in t for t in texts)
    reported = " ".join(errors)
    for name in ("secret.txt", "out", "passwd.txt", "relative.txt"):
        assert f"{folder / name}: symbolic link to " in reported, (name, errors)
    assert all("outside the folder" in e for e in errors) and len(errors) == 4
    # a link named on the command line is the user's choice
    notes, errors = split(list(read_paths([folder / "secret.txt"])))
    assert [n.text for n in notes] == ["secret: not for import"] and errors == []


def test_odd_file_names_give_clean_labels_and_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / os.fsdecode("caf\xe9 notes.txt".encode("latin-1"))).write_text("Café team needs a WAF")
    (tmp_path / "two\nlines.txt").write_bytes(b"\x00\x01 binary")
    notes, errors = split(list(read_paths([tmp_path])))
    assert [n.source for n in notes] == ["café notes.txt"]
    assert errors == [f"{tmp_path}/two\\nlines.txt: looks like a binary file, not text"]


# ---------------------------------------------------------------- e-mail messages get the .txt checks
def _message(subject: str, body: bytes, headers: str = "Content-Type: text/plain; charset=utf-8\n") -> bytes:
    envelope = "From dana@example.com Tue Oct 20 10:00:00 2026\nFrom: Dana <dana@example.com>\n"
    return f"{envelope}Subject: {subject}\n{headers}\n".encode() + body + b"\n\n"


BINARY_BODY = noise(3000, seed=5, low=1).replace(b"\nFrom ", b"\n_rom ")


def test_every_mbox_message_gets_the_txt_checks(tmp_path: Path) -> None:
    big = ("customer needs a WAF " * 175_000).encode()  # 3.6 MB
    box = tmp_path / "inbox.mbox"
    box.write_bytes(
        _message("Harbor Bank", b"Harbor Bank needs a WAF in front of the app.")
        + _message("huge", big)
        + _message("binary", BINARY_BODY)
        + _message("nul", b"text with \x00\x00\x00 nul bytes\x00\x00\x00 and more \x00\x00\x00\x00")
        + _message("octets", b"AAECAwQFBgcICQoLDA0ODw==\n", "Content-Type: application/octet-stream\n")
        + _message("Wren Foods", b"Wren Foods wants SSO with their own Okta tenant.")
    )
    assert len(big) > 3_500_000
    notes, errors = split(list(read_paths([box])))
    assert [n.text for n in notes] == [
        "Harbor Bank needs a WAF in front of the app.",
        "Wren Foods wants SSO with their own Okta tenant.",
    ]
    assert len(errors) == 4, errors
    assert errors[0].startswith(f"{box} message 2: ") and "MB; the limit for one note is 2.0 MB" in errors[0]
    assert errors[1].startswith(f"{box} message 3: ") and "binary" in errors[1]
    assert errors[2].startswith(f"{box} message 4: ") and "binary" in errors[2]
    assert errors[3].startswith(f"{box} message 5: ")


@pytest.mark.parametrize(
    ("body", "message"),
    [(BINARY_BODY, "binary"), (b"x" * 2_100_000, "limit for a"), (b"   \n\t", "empty note")],
)
def test_eml_gets_the_same_checks_as_txt(tmp_path: Path, body: bytes, message: str) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(_message("", body).split(b"\n", 1)[1].replace(b"Subject: \n", b""))
    txt = tmp_path / "one.txt"
    txt.write_bytes(body)
    [eml_error] = split(list(read_paths([eml])))[1]
    [txt_error] = split(list(read_paths([txt])))[1]
    assert message in eml_error and message in txt_error, (eml_error, txt_error)


def test_big_mbox_file_is_not_read_whole_to_check_its_start(tmp_path: Path, monkeypatch: Any) -> None:
    box = tmp_path / "not.mbox"
    box.write_bytes(b"Subject: no From line\n\nbody\n")
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read the whole file"))
    [error] = split(list(read_paths([box])))[1]
    assert "not an mbox file" in error


# ---------------------------------------------------------------- web uploads
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Fieldsignal-User": "ana"}


def web(tmp_path: Path) -> TestClient:
    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory", token=TOKEN)
    return TestClient(create_app(settings), raise_server_exceptions=False)


def test_uploads_with_the_same_name_are_each_kept(tmp_path: Path) -> None:
    client = web(tmp_path)
    texts = ["Harbor Bank needs a WAF in front of the app", "Wren Foods wants SSO via Okta", "Acme needs a VPC link"]
    files = [("files", ("notes.txt", t.encode(), "text/plain")) for t in texts]
    page = client.post("/files", files=files, headers=AUTH)
    assert page.status_code == 200 and "3 note(s)" in page.text
    assert stored(tmp_path / "ws") == [("notes.txt", t) for t in texts]


@pytest.mark.parametrize(
    "name", ["..", ".", "../../evil.txt", "..\\..\\evil.txt", "/etc/passwd", "a/b/c.txt", "nul\x00.txt", "x" * 300]
)
def test_upload_names_cannot_escape_or_crash(tmp_path: Path, name: str) -> None:
    client = web(tmp_path)
    kestrel, wren = b"Kestrel Bank needs a WAF in front of the app", b"Wren Foods wants SSO via their Okta tenant"
    page = client.post("/files", files=[("files", (name, kestrel)), ("files", ("ok.txt", wren))], headers=AUTH)
    assert page.status_code == 200, page.text[:500]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()
    sources = stored(tmp_path / "ws")
    assert ("ok.txt", wren.decode()) in sources
    for source, _ in sources:
        assert "/" not in source and "\\" not in source and "\x00" not in source and len(source) <= 120
    if name.endswith(".txt"):
        assert len(sources) == 2
    else:
        assert len(sources) == 1 and "unsupported file type" in page.text


def test_upload_with_an_empty_name_is_not_a_server_error(tmp_path: Path) -> None:
    client = web(tmp_path)
    page = client.post("/files", files=[("files", ("", b"Kestrel Bank needs a WAF", "text/plain"))], headers=AUTH)
    assert page.status_code in (200, 422), page.status_code


# ---------------------------------------------------------------- nothing stored is lost
def test_a_folder_of_bad_input_keeps_what_is_stored(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    assert cli(home, "add", NOTE).exit_code == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    nested = b"--x\nContent-Type: multipart/mixed; boundary=x\n\n" * 3000
    files = {
        "bin.txt": bytes(range(256)) * 8,
        "deep.jsonl": b"[" * 50_000,
        "empty.md": b"",
        "junk.mbox": b"From x\n" + bytes(range(256)),
        "nested.eml": b"From: a@b\nContent-Type: multipart/mixed; boundary=x\n\n" + nested,
        "trunc.csv": b'text\n"never closed',
    }
    for name, data in (*files.items(), ("good.txt", b"Osprey Air needs audit logs exported to Splunk")):
        (bad / name).write_bytes(data)
    failed = [line for line in one_line_failure(cli(home, "import", str(bad))) if line.startswith("failed:")]
    assert [line.split(":")[1].strip().split(" ")[0] for line in failed] == [str(bad / name) for name in files]
    assert [t for _, t in stored(home)] == [NOTE, "Osprey Air needs audit logs exported to Splunk"]


def test_paste_of_binary_or_surrogates_is_one_clear_error() -> None:
    with pytest.raises(InputError, match="binary"):
        note_from_text("\x00\x01\x02\x03" * 50)
    assert note_from_text("caf\udce9 au lait for the WAF team").text == "café au lait for the WAF team"
