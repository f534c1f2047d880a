"""Prove that the notebooks' checks catch what they guard: run a notebook with a fault
injected on purpose (PARLAB_FAULT, see crates/parlab-core/src/fault.rs) and require that it
fails in its checks — the real ones from notebooks.toml, not copies — with the message of
the check that guards that fault. No retries: a broken pool must fail every time.

    .venv/bin/python tests/notebooks/faults.py

A passing notebook here is a failure: it means a check cannot fail.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_notebooks as rn  # noqa: E402

# (notebook, fault, words the failing check's message must hold)
CASES = [
    # GIL-on threads that sleep one at a time: demo 1's first check (the sleeps overlap).
    ("demo_1.ipynb", "gil-held-in-sleep", ["ThreadPool", "the waits did not overlap"]),
    # Processes that compute one at a time: demo 1c's "processes ran in parallel" check.
    ("demo_1c.ipynb", "serial-workers", ["ProcessPool", "the tasks mostly ran one after another"]),
]


def main():
    config = rn.load_config(rn.HERE / "notebooks.toml")
    out = rn.ROOT / "target" / "notebooks" / "faults"
    passed = failed = 0
    for name, fault, words in CASES:
        os.environ["PARLAB_FAULT"] = fault  # the kernel, its runtime and every worker inherit it
        try:
            result = rn.run_notebook(rn.ROOT / "notebooks" / name, config.get(name, {}), out)
        finally:
            del os.environ["PARLAB_FAULT"]
        text = "\n".join(result.failures)
        caught = rn.only_checks_failed(result) and all(w in text for w in words)
        what = f"{name} with PARLAB_FAULT={fault} ({result.seconds:.0f} s)"
        if caught:
            passed += 1
            first = next((ln for ln in text.splitlines() if "FAIL " in ln or "panicked" in ln), text[:200])
            print(f"ok: {what}: caught by a check: {first.strip()}")
        else:
            failed += 1
            why = "it passed: no check caught the fault" if result.ok else "it failed, but not in the expected check"
            print(f"FAILED: {what}: {why} (wanted a check failure mentioning {words})\n    " + text.replace("\n", "\n    "))
    print(f"fault injection: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
