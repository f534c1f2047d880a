"""Where a `rust` kernel's first minute goes: the floor of evcxr itself, and what each dependency adds.

Run after scripts/setup:  .venv/bin/python scripts/measure-kernel-deps.py [--floor N] [--deps]

scripts/measure-kernel-start.py times the notebooks' own start (prelude, first result, a pool
cell's reruns). This one explains those figures with two measurements of its own:

--floor N   N kernels with no dependency at all, like a notebook with no prelude cell: ready,
            the first result (`let a: u64 = 1; a` sent as soon as the kernel is ready), counted
            from kernel start, then that cell rerun twice. What no library can go below: evcxr
            types every `let` with the rust-analyzer it runs in-process, and the first `let`
            makes it index the standard library; every cell is a crate that rustc compiles.
            Then N kernels that load the notebooks' prelude first, the same way: a cell with
            nothing but a `let`, rerun with parlab loaded, is the floor for a pool cell's rerun.
            (The first of those builds parlab's graph in the throwaway tmpdir, minutes; read the
            second.)
--deps      One kernel per dependency of the prelude (each direct dependency of parlab and
            parlab-core, with the versions and features they build with, then parlab-core and
            parlab themselves): the kernel process's own CPU seconds (evcxr + rust-analyzer, not
            cargo or rustc) for the `:dep` cell, when rust-analyzer reads the crate graph's
            sources, and for the first `let` after it, when it indexes every crate; then each
            figure less the first row's, a kernel with no dependency. It prints the size of the
            prelude's crate graph first (packages, bytes of source rust-analyzer reads).

Both leave the warm-up off (PARLAB_KERNEL_WARM_UP=0) and build in a throwaway EVCXR_TMPDIR seeded
with the checkout's Cargo.lock, so the real tmpdir slots are not touched. Default: --floor 2 --deps.
"""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("measure_kernel_start", ROOT / "scripts" / "measure-kernel-start.py")
start = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(start)

FIRST = "let a: u64 = 1; a"
PATH_CRATES = {
    "parlab-core": ':dep parlab-core = { path = "../crates/parlab-core" }\nuse parlab_core::prelude::*;',
    "parlab": start.CELL,
}


class Kernel:
    """A `rust` kernel started like a notebook's (kernelspec, notebooks/ as its directory)."""

    def __init__(self, tmpdir):
        env = dict(os.environ, EVCXR_TMPDIR=str(tmpdir), PARLAB_KERNEL_WARM_UP="0")
        self.km = KernelManager(kernel_name="rust")
        self.t0 = time.monotonic()
        self.km.start_kernel(
            cwd=str(ROOT / "notebooks"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.pid = self.km.provisioner.process.pid
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=300)
        except BaseException:
            self.close()  # a kernel that never answered is not left running
            raise
        self.ready = time.monotonic() - self.t0

    def since_start(self):
        return time.monotonic() - self.t0

    def own_cpu(self):
        return start.cpu_secs(self.pid)[0]

    def cell(self, code):
        """Run a cell; return its wall seconds."""
        t = time.monotonic()
        start.run_cell(self.kc, code)
        return time.monotonic() - t

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def seeded_tmpdir(scratch, name):
    path = scratch / name
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Cargo.lock", path / "Cargo.lock")
    return path


def floor(scratch, n):
    print(f"{'kernel':<10} {'ready (s)':>9} {'1st result':>11} {'rerun (s)':>9} {'again (s)':>9}   CPU to 1st result")
    tmpdir = seeded_tmpdir(scratch, "floor")
    for label, prelude in (("none", None), ("parlab", start.CELL)):
        for i in range(n):
            k = Kernel(tmpdir)
            try:
                if prelude:
                    k.cell(prelude)
                k.cell(FIRST)
                first = k.since_start()
                own, children = start.cpu_secs(k.pid)
                reruns = [k.cell(FIRST) for _ in range(2)]
            finally:
                k.close()
            print(
                f"{label + ' ' + str(i + 1):<10} {k.ready:>9.1f} {first:>11.1f} {reruns[0]:>9.1f} {reruns[1]:>9.1f}"
                f"   evcxr + rust-analyzer {own:.1f} s, cargo + rustc {children:.1f} s",
                flush=True,
            )


def metadata():
    """`cargo metadata` of the workspace, for this machine's target only (as rust-analyzer asks)."""
    host = next(
        line.split()[1] for line in subprocess.check_output(["rustc", "-vV"], text=True).splitlines()
        if line.startswith("host:")
    )
    return json.loads(
        subprocess.check_output(
            ["cargo", "metadata", "--format-version", "1", "--offline", "--filter-platform", host], cwd=ROOT
        )
    )


def direct_deps(meta):
    """(name, `:dep` line) for each normal dependency of parlab and parlab-core, with the version
    and the features cargo resolved for the workspace (the prelude's, or a few more)."""
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    deps = {}
    for node in nodes.values():
        if packages[node["id"]]["name"] not in PATH_CRATES:
            continue
        for dep in node["deps"]:
            package = packages[dep["pkg"]]
            normal = any(kind["kind"] is None for kind in dep["dep_kinds"])
            if not normal or package["source"] is None:
                continue
            features = ", ".join(f'"{f}"' for f in nodes[dep["pkg"]]["features"] if f != "default")
            line = (
                f':dep {package["name"]} = {{ version = "={package["version"]}", default-features = false, '
                f"features = [{features}] }}"
            )
            deps[package["name"]] = line
    return sorted(deps.items())


def prelude_graph(meta):
    """(packages, bytes of .rs files in their directories) reachable from parlab by normal and
    build dependencies: what the kernel's rust-analyzer reads in whole after `:dep parlab`."""
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    todo = [i for i, p in packages.items() if p["name"] == "parlab"]
    seen = set(todo)
    while todo:
        for dep in nodes[todo.pop()]["deps"]:
            if any(kind["kind"] != "dev" for kind in dep["dep_kinds"]) and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                todo.append(dep["pkg"])
    size = sum(
        f.stat().st_size for i in seen for f in Path(packages[i]["manifest_path"]).parent.rglob("*.rs")
    )
    return len(seen), size


def per_dependency(scratch):
    tmpdir = seeded_tmpdir(scratch, "deps")
    meta = metadata()
    count, size = prelude_graph(meta)
    print(f"the prelude's graph here: {count} packages, {size / 1e6:.0f} MB of .rs source")
    rows = [("(none)", None)] + direct_deps(meta) + list(PATH_CRATES.items())
    print(f"{'dependency':<18} {':dep cell (CPU s)':>17} {'1st let (CPU s)':>16}   beyond none")
    base = None
    for name, line in rows:
        k = Kernel(tmpdir)
        try:
            time.sleep(1)  # let evcxr's own start-up finish before counting
            c0 = k.own_cpu()
            if line:
                k.cell(line)
            c1 = k.own_cpu()
            k.cell(FIRST)
            c2 = k.own_cpu()
        finally:
            k.close()
        dep, let = c1 - c0, c2 - c1
        if base is None:
            base = (dep, let)
        print(f"{name:<18} {dep:>17.1f} {let:>16.1f}   {dep - base[0]:+5.1f} {let - base[1]:+5.1f}", flush=True)


def positive(text):
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} kernels: at least 1")
    return n


def main():
    parser = argparse.ArgumentParser(description="The floor of an evcxr kernel, and what each dependency adds.")
    parser.add_argument("--floor", type=positive, metavar="N", help="N kernels without, then N with, the prelude")
    parser.add_argument("--deps", action="store_true", help="one kernel per dependency of the prelude")
    args = parser.parse_args()
    if args.floor is None and not args.deps:
        args.floor, args.deps = 2, True
    scratch = Path(tempfile.mkdtemp(prefix="parlab-measure-deps-"))
    print(f"scratch dir: {scratch}; load average before: {os.getloadavg()[0]:.2f}")
    try:
        if args.floor:
            floor(scratch, args.floor)
        if args.deps:
            per_dependency(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
