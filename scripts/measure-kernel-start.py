"""Time a `rust` kernel from start to `use parlab::prelude::*;` loaded: cold, then warm.

Run after scripts/setup:  .venv/bin/python scripts/measure-kernel-start.py

Three kernels, one after another, on the kernelspec scripts/setup installs (so through
scripts/evcxr-kernel and .evcxr/init.evcxr's `:cache`), in notebooks/ like a notebook's kernel:
  cold        empty evcxr cache, empty tmpdir slots: a fresh machine or clone
  warm        the same again: what the next kernel gets (a restart, the next notebook, CI's next
              notebook), since it reuses the first kernel's tmpdir slot
  warm-cache  cache filled, but a new tmpdir: what a second notebook open *at the same time*
              gets the first time it uses its slot (also evcxr's default without the slots)
The evcxr cache (XDG_CACHE_HOME) and the slots (TMPDIR) are redirected to a throwaway
directory, so ~/.cache/evcxr and the real slots are neither used nor touched.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parent.parent
CELL = ':dep parlab = { path = "../crates/parlab" }\nuse parlab::prelude::*;'
NEXT = "let pool = ThreadPool::new(2)?;"


def run_cell(kc, code, timeout=900):
    """Execute one cell; return its stderr, raising if it errored or panicked."""
    msg_id = kc.execute(code)
    stderr = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stderr":
            stderr.append(content["text"])
        elif kind == "error":
            raise RuntimeError(f"cell failed: {content.get('evalue')}\n{''.join(stderr)}")
        elif kind == "status" and content["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    text = "".join(stderr)
    if reply["content"]["status"] != "ok" or "panicked at" in text:
        raise RuntimeError(f"cell failed:\n{code}\n{text}")
    return text


def measure(label, env):
    km = KernelManager(kernel_name="rust")
    t0 = time.monotonic()
    km.start_kernel(cwd=str(ROOT / "notebooks"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=300)
        ready = time.monotonic() - t0
        run_cell(kc, CELL)
        loaded = time.monotonic() - t0
        t1 = time.monotonic()
        run_cell(kc, NEXT)
        nxt = time.monotonic() - t1
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(f"{label:<12} {ready:>9.1f} {loaded:>12.1f} {nxt:>12.1f}", flush=True)


def main():
    scratch = Path(tempfile.mkdtemp(prefix="parlab-measure-"))
    env = {k: v for k, v in os.environ.items() if k != "EVCXR_TMPDIR"}
    env.update(XDG_CACHE_HOME=str(scratch / "cache"), TMPDIR=str(scratch))
    print(f"scratch dir: {scratch}; load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'kernel':<12} {'ready (s)':>9} {'prelude (s)':>12} {'next cell (s)':>12}")
    measure("cold", env)
    measure("warm", env)
    measure("warm-cache", {**env, "EVCXR_TMPDIR": str(scratch / "new-tmpdir")})
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
