"""The harness's own tests: each failure mode is caught, good notebooks pass, options do what they say.

    .venv/bin/python tests/notebooks/test_harness.py

Every case runs the real `rust` kernel on a notebook in fixtures/ (except the ones that must
fail before a kernel starts). Ends with "N passed, N failed"; exits non-zero on any failure.
"""

import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager

from run_notebooks import CHECK_TAG, ROOT, run_notebook, run_with_retries

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
OUT = ROOT / "target" / "notebooks" / "fixtures"
with open(FIXTURES / "notebooks.toml", "rb") as f:
    CONFIG = tomllib.load(f)


def run(name, spec=None, **kwargs):
    path = kwargs.pop("path", FIXTURES / name)
    return run_notebook(path, CONFIG.get(name, {}) if spec is None else spec, OUT, **kwargs)


def run_retrying(name, spec=None):
    return run_with_retries(FIXTURES / name, CONFIG.get(name, {}) if spec is None else spec, OUT, retries=1)


def failure_text(result):
    return "\n".join(result.failures)


def expect_failure(result, *needles):
    assert not result.ok, f"{result.name} passed but must fail"
    text = failure_text(result)
    for needle in needles:
        assert needle in text, f"{result.name}: failure does not mention {needle!r}:\n{text}"


def expect_pass(result):
    assert result.ok, f"{result.name} failed:\n{failure_text(result)}"


def test_good_notebook_passes_with_overrides_and_checks():
    result = run("good.ipynb")
    expect_pass(result)
    executed = nbformat.read(OUT / "good.ipynb", as_version=4)
    params = next(c for c in executed.cells if "parameters" in c.metadata.get("tags", []))
    assert params.source == 'let n: u64 = 3;\nlet label = "ci";', params.source
    assert any(CHECK_TAG in c.metadata.get("tags", []) for c in executed.cells), "the check cell did not run"


def test_failing_check_fails_with_its_message_after_one_retry():
    spec = {**CONFIG["good.ipynb"], "checks": ['assert!(total > 100, "total is only {total}");']}
    result = run_retrying("good.ipynb", spec)
    expect_failure(result, "check", "panicked", "total is only 6")
    assert result.attempts == 2 and "total is only 6" in "\n".join(result.retried), (result.attempts, result.retried)


def test_check_that_fails_once_passes_on_the_retry():
    with tempfile.TemporaryDirectory() as tmp:
        mark = Path(tmp) / "ran-before"
        check = (
            f'let mark = std::path::Path::new("{mark}"); let first = !mark.exists(); '
            'std::fs::write(mark, b"").unwrap(); assert!(!first, "a timing check unlucky once");'
        )
        result = run_retrying("good.ipynb", {**CONFIG["good.ipynb"], "checks": [check]})
    expect_pass(result)
    assert result.attempts == 2 and "unlucky once" in "\n".join(result.retried), (result.attempts, result.retried)


def test_override_that_matches_nothing_fails_before_running():
    start = time.monotonic()
    result = run("good.ipynb", {"parameters": {"workers": 4}})
    expect_failure(result, "parameter override 'workers'", "no line")
    assert time.monotonic() - start < 5, "it should fail before starting a kernel"


def test_panic_is_caught_and_later_cells_are_not_run():
    result = run_retrying("panic.ipynb")
    expect_failure(result, "cell 2", "panicked at", "fixture panics on purpose")
    assert result.attempts == 1, "a cell that panics is not a timing check: no retry"
    executed = nbformat.read(OUT / "panic.ipynb", as_version=4)
    assert not executed.cells[3].get("outputs") and executed.cells[3].execution_count is None


def test_compile_error_is_caught():
    expect_failure(run("error.ipynb"), "cell 1", "mismatched types")


def test_chart_cell_without_image_is_caught():
    expect_failure(run("chart_missing.ipynb"), "tagged 'chart' but produced no PNG or SVG", "text/plain")


def test_notebook_whose_command_is_missing_is_skipped_with_the_reason():
    needs = {"commands": ["sh", "parlab-no-such-command"], "install": "get it from nowhere"}
    start = time.monotonic()
    result = run("error.ipynb", spec={"needs": needs})
    assert result.ok and result.skipped, result
    assert "parlab-no-such-command" in result.skipped and "sh," not in result.skipped, result.skipped
    assert "get it from nowhere" in result.skipped, result.skipped
    assert time.monotonic() - start < 5, "a skipped notebook must not start a kernel"
    present = run("good.ipynb", spec={**CONFIG.get("good.ipynb", {}), "needs": {"commands": ["sh"], "install": "-"}})
    assert not present.skipped, present.skipped
    expect_pass(present)


def test_parlab_path_dependency_loads():
    expect_pass(run("parlab.ipynb"))


def test_write_outputs_runs_as_shipped_and_saves_outputs():
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "good.ipynb"
        shutil.copy(FIXTURES / "good.ipynb", copy)
        # The configured check (total == 6) holds only with the override: it must not run here.
        expect_pass(run("good.ipynb", path=copy, write_outputs=True))
        saved = nbformat.read(copy, as_version=4)
    original = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    assert [c.source for c in saved.cells] == [c.source for c in original.cells], "sources changed"
    mimes = {m for c in saved.cells if c.cell_type == "code" for o in c.outputs for m in o.get("data", {})}
    assert {"image/png", "image/svg+xml"} <= mimes, mimes
    stdout = "".join(o.get("text", "") for c in saved.cells if c.cell_type == "code" for o in c.outputs)
    assert "full size: 500000500000" in stdout, "outputs must come from the notebook's own parameters"


def kernel_tmpdir(km):
    """Start the kernel and ask its runtime which tmpdir evcxr builds in."""
    km.start_kernel(cwd=str(FIXTURES), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=300)
    out = []
    kc.execute_interactive(
        'println!("{}", std::env::var("EVCXR_TMPDIR").unwrap_or_default());',
        timeout=300,
        output_hook=lambda m: m["msg_type"] == "stream" and out.append(m["content"]["text"]),
    )
    kc.stop_channels()
    return "".join(out).strip()


def test_kernels_at_the_same_time_get_their_own_tmpdir():
    kms = [KernelManager(kernel_name="rust") for _ in range(3)]
    try:
        first, second = kernel_tmpdir(kms[0]), kernel_tmpdir(kms[1])
        assert first and second and first != second, (first, second)
        kms[0].shutdown_kernel(now=True)
        third = kernel_tmpdir(kms[2])
        assert third and third != second, (second, third)
    finally:
        for km in kms:
            if km.has_kernel:
                km.shutdown_kernel(now=True)


def cli(*args):
    return subprocess.run(
        [sys.executable, str(HERE / "run_notebooks.py"), *args], capture_output=True, text=True, timeout=600
    )


def test_cli_exit_codes():
    failing = cli("--dir", str(FIXTURES), "--config", str(FIXTURES / "notebooks.toml"),
                  "--out", str(OUT / "cli"), "--only", "error")
    assert failing.returncode == 1, (failing.returncode, failing.stdout, failing.stderr)
    assert "FAIL error.ipynb" in failing.stdout and "0 passed, 1 failed" in failing.stdout, failing.stdout
    with tempfile.TemporaryDirectory() as empty:
        nothing = cli("--dir", empty, "--config", str(Path(empty) / "none.toml"))
        assert nothing.returncode == 0 and "no notebooks yet" in nothing.stdout, nothing
        stale = cli("--dir", empty, "--config", str(FIXTURES / "notebooks.toml"))
        assert stale.returncode == 2 and "good.ipynb" in stale.stderr, stale
    unknown = cli("--dir", str(FIXTURES), "--config", str(FIXTURES / "notebooks.toml"), "--only", "nope")
    assert unknown.returncode == 2 and "nope.ipynb" in unknown.stderr, unknown
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "needs.toml"
        config.write_text('["error.ipynb"]\nneeds = { commands = ["parlab-no-such-command"], install = "x" }\n')
        skipped = cli("--dir", str(FIXTURES), "--config", str(config), "--out", str(OUT / "cli"), "--only", "error")
        assert skipped.returncode == 0, (skipped.returncode, skipped.stdout, skipped.stderr)
        assert "SKIP error.ipynb: needs parlab-no-such-command" in skipped.stdout, skipped.stdout
        assert "0 passed, 0 failed, 1 skipped" in skipped.stdout, skipped.stdout
        config.write_text('["error.ipynb"]\nneeds = ["mpirun"]\n')
        malformed = cli("--dir", str(FIXTURES), "--config", str(config), "--only", "error")
        assert malformed.returncode == 2 and "needs must be" in malformed.stderr, malformed


def main():
    tests = [(name, f) for name, f in globals().items() if name.startswith("test_")]
    failed = 0
    for name, test in tests:
        start = time.monotonic()
        try:
            test()
            print(f"ok    {name} ({time.monotonic() - start:.1f} s)", flush=True)
        except AssertionError as e:
            failed += 1
            print(f"FAIL  {name} ({time.monotonic() - start:.1f} s)\n      " + str(e).replace("\n", "\n      "), flush=True)
    print(f"harness: {len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
