"""Time a `rust` kernel's first minute: start → prelude loaded → first result, and a pool cell's rerun.

Run after scripts/setup:  .venv/bin/python scripts/measure-kernel-start.py [--warm N] [--think SECS]

--think SECS runs the first cell that long after the kernel was started (or once it is ready, if
later), as a learner who opens a notebook and reads its first cells does: scripts/evcxr-kernel's
warm-up works meanwhile. Without it, every cell is sent at once, which hides that reading time.

--warm N instead measures N warm kernels on the real cache and tmpdir slots (run a notebook or
this script once first, so they are warm): what a learner who restarts a kernel waits.

Per kernel it reports: ready (kernel_info answered), prelude (the `:dep parlab` + `use` cell done),
first result (the cell after it, `let a: u64 = 1; a`, done; all three counted from kernel start),
then a pool cell (ThreadPool::new(2)?.run(...) over 4 short sleeps) run once, rerun unchanged, and
run a third time ("again": a cell whose `let` destructures a tuple reruns slower the first time).
scripts/measure-kernel-deps.py measures the floor under these: a kernel with no dependency at all,
and what each of parlab's dependencies adds.
Under each row, the CPU seconds behind the wait up to the first result, which load changes far less
than the wall times: the kernel process itself (evcxr and the rust-analyzer it runs in-process,
typing each cell's variables) and its finished children (cargo, rustc, the linker).

Three kernels, one after another, on the kernelspec scripts/setup installs (so through
scripts/evcxr-kernel), in notebooks/ like a notebook's kernel:
  cold        empty evcxr cache, empty tmpdir slots: a fresh machine or clone
  warm        the same again: what the next kernel gets (a restart, the next notebook, CI's next
              notebook), since it reuses the first kernel's tmpdir slot
  warm-cache  a new tmpdir after those two: what a second notebook open *at the same time*
              gets the first time it uses its slot (also evcxr's default without the slots).
              The kernels no longer turn on evcxr's `:cache` (tests/notebooks/README.md says
              why), so this slot builds its dependencies as the cold one did; the name is kept
              from when the cache was on, for the README's older table.
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
TICK = os.sysconf("SC_CLK_TCK")
CELL = ':dep parlab = { path = "../crates/parlab" }\nuse parlab::prelude::*;'
FIRST = "let a: u64 = 1; a"
HEADER = f"{'kernel':<12} {'ready (s)':>9} {'prelude (s)':>11} {'1st result':>12} {'pool (s)':>9} {'rerun (s)':>11} {'again (s)':>9}"
POOL = """workload::set_scale(0.01)?;
let (_, run) = ThreadPool::new(2)?.run(delayed_return_for, (0..4).map(|i| (i, 1.0)).collect::<Vec<(usize, f64)>>())?;
run.wall"""


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


def cpu_secs(pid):
    """(own, reaped children's) CPU seconds of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime) / TICK, (cutime + cstime) / TICK


def measure(label, env, think):
    km = KernelManager(kernel_name="rust")
    t0 = time.monotonic()
    km.start_kernel(cwd=str(ROOT / "notebooks"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # scripts/evcxr-kernel execs evcxr_jupyter, so this pid is the kernel itself.
    pid = km.provisioner.process.pid
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=300)
        ready = time.monotonic() - t0
        time.sleep(max(0.0, think - ready))
        run_cell(kc, CELL)
        loaded = time.monotonic() - t0
        run_cell(kc, FIRST)
        first = time.monotonic() - t0
        own, children = cpu_secs(pid)
        pool = []
        for _ in range(3):
            t1 = time.monotonic()
            run_cell(kc, POOL)
            pool.append(time.monotonic() - t1)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(f"{label:<12} {ready:>9.1f} {loaded:>11.1f} {first:>12.1f} {pool[0]:>9.1f} {pool[1]:>11.1f} {pool[2]:>9.1f}", flush=True)
    print(
        f"{'':<12} CPU to 1st result: evcxr + rust-analyzer {own:.1f} s, cargo + rustc {children:.1f} s;"
        f" load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )


def main():
    args = sys.argv[1:]
    think = 0.0
    if "--think" in args:
        i = args.index("--think")
        think = float(args[i + 1])
        del args[i : i + 2]
    if args[:1] == ["--warm"]:
        env = {k: v for k, v in os.environ.items() if k != "EVCXR_TMPDIR"}
        print(f"load average before: {os.getloadavg()[0]:.2f}; first cell {think:g} s after start")
        print(HEADER)
        for i in range(int(args[1]) if len(args) > 1 else 2):
            measure(f"warm {i + 1}", env, think)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="parlab-measure-"))
    env = {k: v for k, v in os.environ.items() if k != "EVCXR_TMPDIR"}
    env.update(XDG_CACHE_HOME=str(scratch / "cache"), TMPDIR=str(scratch))
    print(f"scratch dir: {scratch}; load average before: {os.getloadavg()[0]:.2f}; first cell {think:g} s after start")
    print(HEADER)
    measure("cold", env, think)
    measure("warm", env, think)
    measure("warm-cache", {**env, "EVCXR_TMPDIR": str(scratch / "new-tmpdir")}, think)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
