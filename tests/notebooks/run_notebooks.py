"""Run notebooks headlessly through the real `rust` (evcxr) kernel and fail on what a reader would see go wrong.

    .venv/bin/python tests/notebooks/run_notebooks.py                 # every notebooks/*.ipynb
    .venv/bin/python tests/notebooks/run_notebooks.py --only demo_1    # one (name with or without .ipynb)
    .venv/bin/python tests/notebooks/run_notebooks.py --write-outputs  # run as shipped, save outputs back

A notebook fails on the first cell that
  - has an error output or an error execute reply (a compile error, a `?` that returned Err);
  - printed `panicked at` on stderr (evcxr catches a panic and replies "ok": stderr is the only sign);
  - is tagged `chart` and produced no image/png or image/svg+xml output (a real PNG or SVG).
After the last cell the notebook's checks (Rust snippets from notebooks.toml) run in the same
kernel, so they can read its variables; a failing assert! is a panic, hence a failure.

notebooks.toml (next to this file) is keyed by notebook file name:
    ["demo_1.ipynb"]
    parameters = { workers = 4, scale = 0.05 }   # rewrites `let workers = ...;` in the `parameters` cell
    checks = ['assert!(speedup < 1.3, "threads with the GIL must not speed up CPU work");']
A notebook that failed only in its checks is run once more (`--retries`): the checks compare
timings, and a shared machine can slow one run of a pair (a host busy on the sibling core makes
each task take twice the CPU time). A cell that errors, panics or draws nothing is never retried.

A notebook that needs a program the machine may lack names it, with how to get it; where one is
missing the notebook is reported as skipped, with that reason, and neither run nor failed:
    needs = { commands = ["mpirun"], install = "Open MPI: apt-get install openmpi-bin" }

A parameter value is a Rust expression: numbers and booleans as TOML values, anything else as a
string holding the Rust text ('"a str"', 'vec![1, 2]'). An override that matches no line fails.

Each kernel runs in the notebook's directory (relative `:dep` paths resolve from there), one
notebook at a time; scripts/evcxr-kernel gives it a tmpdir that an earlier kernel left built.
Executed copies and kernel logs go to target/notebooks/.
"""

import argparse
import asyncio
import atexit
import base64
import queue
import re
import shutil
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.util import ensure_async

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHECK_TAG = "harness-check"
SPEC_KEYS = {"parameters", "checks", "needs"}
NEEDS_KEYS = {"commands", "install"}
# A cell's stderr can reach Jupyter after the kernel says idle (evcxr issue #353): wait this
# long for stragglers after each cell, so a panic's message is never missed.
STRAGGLER_WAIT = 0.2


class Failure(Exception):
    pass


@dataclass
class Result:
    name: str
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    cell_seconds: list[tuple[int, float]] = field(default_factory=list)
    # Runs it took, and the failures of the earlier ones (checks only).
    attempts: int = 1
    retried: list[str] = field(default_factory=list)
    # Why it was not run (a program it needs is missing), or "".
    skipped: str = ""

    @property
    def ok(self):
        return not self.failures


def load_config(path):
    """notebooks.toml: {file name: {"parameters": {...}, "checks": [...]}}; unknown keys fail."""
    if not path.exists():
        return {}
    with open(path, "rb") as f:
        config = tomllib.load(f)
    for name, spec in config.items():
        if not isinstance(spec, dict):
            raise Failure(f'{path}: {name!r} must be a table: ["{name}"]')
        unknown = set(spec) - SPEC_KEYS
        if unknown:
            raise Failure(f"{path}: [{name!r}] has unknown keys {sorted(unknown)} (allowed: {sorted(SPEC_KEYS)})")
        needs = spec.get("needs", {"commands": [], "install": ""})
        if not (isinstance(needs, dict) and set(needs) == NEEDS_KEYS and isinstance(needs["commands"], list)):
            raise Failure(f'{path}: [{name!r}] needs must be {{ commands = ["..."], install = "how to get them" }}')
    return config


def missing_needs(spec):
    """Why a notebook cannot run on this machine (a command it needs is not on PATH), or ""."""
    needs = spec.get("needs")
    if not needs:
        return ""
    missing = [c for c in needs["commands"] if shutil.which(c) is None]
    if not missing:
        return ""
    return f"needs {', '.join(missing)}, not found on PATH ({needs['install']})"


def rust_literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise Failure(f"parameter value {value!r}: use a number, a boolean, or a string holding Rust code")


def apply_parameters(nb, overrides):
    """Rewrite `let NAME = ...;` lines in the cells tagged `parameters`."""
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if overrides and not cells:
        raise Failure("parameter overrides are configured but no code cell is tagged 'parameters'")
    for name, value in overrides.items():
        pattern = re.compile(rf"^(\s*let\s+(?:mut\s+)?{re.escape(name)}\s*(?::[^=]+)?=\s*)[^;]*(;.*)$", re.M)
        hits = 0
        for cell in cells:
            cell.source, n = pattern.subn(lambda m: m.group(1) + rust_literal(value) + m.group(2), cell.source)
            hits += n
        if hits != 1:
            where = "no line" if hits == 0 else f"{hits} lines"
            raise Failure(f"parameter override {name!r}: {where} of the form `let {name} = ...;` in the 'parameters' cell")


def add_checks(nb, checks):
    for source in checks:
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": [CHECK_TAG]}))


def is_image(mime, data):
    """A chart output must hold a real PNG or SVG, not just the right MIME key."""
    try:
        if mime == "image/png":
            return base64.b64decode(data, validate=False).startswith(b"\x89PNG\r\n\x1a\n")
        if mime == "image/svg+xml":
            return "<svg" in (data if isinstance(data, str) else "".join(data))
    except ValueError:
        return False
    return False


def describe(index, cell):
    kind = "check" if CHECK_TAG in cell.metadata.get("tags", []) else "cell"
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
    return f"{kind} {index} (`{first[:70]}`)"


ANSI = re.compile(r"\x1b\[[0-9;]*m")
BACKTRACE = re.compile(r"^\s+(\d+: |at )")  # RUST_BACKTRACE frames in the kernel's log


def cell_problems(index, cell, reply):
    """What is wrong with one executed cell, as messages (empty when it is fine)."""
    where = describe(index, cell)
    problems = []
    stderr = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")
    errors = [o for o in cell.outputs if o.output_type == "error"]
    for o in errors:
        text = ANSI.sub("", "\n".join(o.get("traceback") or [])) or f"{o.get('ename')}: {o.get('evalue')}"
        problems.append(f"{where} failed:\n{text.strip()}")
    if reply is None:
        problems.append(f"{where}: no execute reply")
    elif reply["content"].get("status") != "ok" and not errors:
        problems.append(f"{where}: execute reply status {reply['content'].get('status')!r}\n{stderr.strip()}")
    if "panicked at" in stderr:
        problems.append(f"{where} panicked:\n{stderr.strip()}")
    if "chart" in cell.metadata.get("tags", []):
        images = [
            mime
            for o in cell.outputs
            if o.output_type in ("execute_result", "display_data")
            for mime, data in o.get("data", {}).items()
            if is_image(mime, data)
        ]
        if not images:
            shown = sorted({m for o in cell.outputs for m in o.get("data", {})}) or "nothing"
            problems.append(f"{where} is tagged 'chart' but produced no PNG or SVG image (it showed {shown})")
    return problems


async def drain_stragglers(client, index, cell, msg_id):
    """Add output that arrived after the kernel went idle to the cell it belongs to."""
    while True:
        try:
            msg = await client.kc.get_iopub_msg(timeout=STRAGGLER_WAIT)
        except queue.Empty:
            return
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            client.process_message(msg, cell, index)


async def execute(client, nb, log_path, result):
    replies = {}
    client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.__setitem__(cell_index, execute_reply)
    with open(log_path, "w") as log:
        async with client.async_setup_kernel(stdout=log, stderr=log):
            info = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
            nb.metadata["language_info"] = info["content"].get("language_info", {})
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                start = time.monotonic()
                await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                reply = replies.get(index)
                if reply is not None:
                    await drain_stragglers(client, index, cell, reply["parent_header"].get("msg_id"))
                result.cell_seconds.append((index, time.monotonic() - start))
                problems = cell_problems(index, cell, reply)
                if problems:
                    # Later cells would only fail in its wake (a panic drops the cell's variables).
                    result.failures.extend(problems)
                    return


@dataclass
class Timeouts:
    startup: int = 300  # kernel start, including .evcxr/init.evcxr
    cell: int = 1800  # the first `:dep` cell compiles every dependency on a cold machine


# scripts/evcxr-kernel does the notebooks' `:dep parlab` while the kernel starts, so the first
# kernel of a fresh clone compiles every dependency before it answers: as long as a cold `:dep`
# cell may take. Later kernels find that build in their tmpdir slot.
COLD_STARTUP = Timeouts.cell


def started(result):
    """Whether the notebook's kernel came up (its tmpdir slot is built from then on)."""
    return not result.skipped and not any(f.startswith(("RuntimeError: Kernel", "TimeoutError")) for f in result.failures)


def run_notebook(path, spec, out_dir, timeouts=Timeouts(), write_outputs=False):
    """Execute one notebook; return a Result. With write_outputs it runs as shipped, without
    overrides or checks (those are for CI), and is saved back only if it passed."""
    result = Result(path.name)
    result.skipped = missing_needs(spec)
    if result.skipped:
        return result
    start = time.monotonic()
    try:
        nb = nbformat.read(path, as_version=4)
        if not write_outputs:
            apply_parameters(nb, spec.get("parameters", {}))
            add_checks(nb, spec.get("checks", []))
        out_dir.mkdir(parents=True, exist_ok=True)
        log_path = out_dir / f"{path.stem}.kernel.log"
        client = NotebookClient(
            nb,
            kernel_name="rust",
            timeout=timeouts.cell,
            startup_timeout=timeouts.startup,
            allow_errors=True,
            record_timing=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            asyncio.run(execute(client, nb, log_path, result))
        except Exception as e:  # a timeout, a dead kernel: this notebook's failure
            lines = [ln for ln in log_path.read_text(errors="replace").splitlines() if not BACKTRACE.match(ln)]
            tail = "\n".join(lines[-15:])
            result.failures.append(f"{type(e).__name__}: {e}\nkernel log ({log_path}), last lines:\n{tail}")
        finally:
            # nbclient leaves an exit hook behind when the kernel fails to start; it would only crash.
            atexit.unregister(client._cleanup_kernel)
            nbformat.write(nb, out_dir / path.name)
        if write_outputs and result.ok:
            nbformat.write(nb, path)
    except Failure as e:
        result.failures.append(str(e))
    result.seconds = time.monotonic() - start
    return result


def only_checks_failed(result):
    return bool(result.failures) and all(f.startswith("check ") for f in result.failures)


def run_with_retries(path, spec, out_dir, timeouts=Timeouts(), write_outputs=False, retries=1):
    """run_notebook, run again (up to `retries` times) while only its checks fail."""
    result = run_notebook(path, spec, out_dir, timeouts, write_outputs)
    attempts, retried, seconds = 1, [], result.seconds
    while attempts <= retries and only_checks_failed(result):
        attempts += 1
        retried.extend(result.failures)
        result = run_notebook(path, spec, out_dir, timeouts, write_outputs)
        seconds += result.seconds
    result.attempts, result.retried, result.seconds = attempts, retried, seconds
    return result


def select(notebook_dir, only):
    notebooks = sorted(notebook_dir.glob("*.ipynb"))
    if only:
        wanted = {n if n.endswith(".ipynb") else f"{n}.ipynb" for n in only}
        missing = wanted - {p.name for p in notebooks}
        if missing:
            raise Failure(f"no such notebook in {notebook_dir}: {', '.join(sorted(missing))}")
        notebooks = [p for p in notebooks if p.name in wanted]
    return notebooks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "notebooks", help="where the notebooks are")
    parser.add_argument("--config", type=Path, default=HERE / "notebooks.toml", help="overrides and checks")
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "notebooks", help="executed copies")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this notebook (repeatable)")
    parser.add_argument("--write-outputs", action="store_true", help="run notebooks as shipped (no overrides, no checks) and save passing ones with their outputs")
    parser.add_argument("--cell-timeout", type=int, default=Timeouts.cell, help="seconds per cell")
    parser.add_argument("--retries", type=int, default=1, help="runs more for a notebook whose only failures are its checks")
    parser.add_argument("--startup-timeout", type=int, default=Timeouts.startup, help="seconds for the kernel to start")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        notebooks = select(args.dir, args.only)
        if not args.only:
            stale = set(config) - {p.name for p in notebooks}
            if stale:
                raise Failure(f"{args.config} configures {', '.join(sorted(stale))}, not found in {args.dir}")
    except Failure as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not notebooks:
        print(f"no notebooks yet in {args.dir}: nothing to run")
        return 0

    timeouts = Timeouts(args.startup_timeout, args.cell_timeout)
    cold = Timeouts(max(args.startup_timeout, COLD_STARTUP), args.cell_timeout)
    warm = False
    results = []
    for path in notebooks:
        print(f"--- {path.name}", flush=True)
        result = run_with_retries(
            path, config.get(path.name, {}), args.out, timeouts if warm else cold, args.write_outputs, args.retries
        )
        warm = warm or started(result)
        for failure in result.retried:
            print("    RETRIED after: " + failure.replace("\n", "\n    "))
        for index, seconds in result.cell_seconds:
            print(f"    cell {index:>3}  {seconds:7.1f} s")
        if result.skipped:
            print(f"SKIP {path.name}: {result.skipped}", flush=True)
            results.append(result)
            continue
        verdict = "PASS" if result.ok else "FAIL"
        print(f"{verdict} {path.name} ({result.seconds:.1f} s)", flush=True)
        for failure in result.failures:
            print("    " + failure.replace("\n", "\n    "))
        results.append(result)

    failed = [r for r in results if not r.ok]
    skipped = [r for r in results if r.skipped]
    print(f"\nnotebooks: executed copies and kernel logs in {args.out}")
    for r in results:
        if r.skipped:
            print(f"  SKIP            {r.name}: {r.skipped}")
            continue
        again = f"  (passed on run {r.attempts}, after a check failed)" if r.ok and r.attempts > 1 else ""
        print(f"  {'PASS' if r.ok else 'FAIL'}  {r.seconds:7.1f} s  {r.name}{again}")
    passed = len(results) - len(failed) - len(skipped)
    print(f"notebooks: {passed} passed, {len(failed)} failed, {len(skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
