#!/usr/bin/env python3
"""Static checks of the written lessons (run by tests/lessons/run).

- lessons/SUMMARY.md lists every lesson file, and every file it lists exists;
- crates/parlab/src/lessons.rs includes every lesson file as a doc test, and
  crates/parlab/src/lib.rs declares that module for doc tests;
- every fenced code block says what it is (a bare fence would be taken for
  Rust by rustdoc), and Rust blocks use only the kinds the doc tests handle;
- a block marked `<!-- same-as: PATH -->` is an excerpt of that file: its
  visible lines (not rustdoc's hidden `# ` lines) occur there, in order. That
  is how a figure printed by an example is tied to the code the lesson shows;
  a `rust,ignore` block must carry such a mark (its file is built and run);
- every `--example NAME` a lesson tells the reader to run exists.
Prints one line per problem and exits 1 if there is any.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
MODULE = ROOT / "crates/parlab/src/lessons.rs"
EXAMPLES = [ROOT / "crates/parlab-core/examples", ROOT / "crates/parlab/examples"]

# `rust,compile_fail,E0308` also checks which error the compiler gives.
RUST_KINDS = {"rust", "rust,no_run", "rust,compile_fail", "rust,ignore"}
OTHER_KINDS = {"text", "console", "python", "toml", "sh", "bash", "diff"}

problems = []


def lesson_files():
    return sorted(p.name for p in LESSONS.glob("*.md") if p.name != "SUMMARY.md")


def check_summary(files):
    text = (LESSONS / "SUMMARY.md").read_text()
    listed = re.findall(r"\]\(([^)]+\.md)\)", text)
    for name in listed:
        if not (LESSONS / name).exists():
            problems.append(f"SUMMARY.md lists {name}, which does not exist")
    for name in files:
        if name not in listed:
            problems.append(f"lessons/{name} is not listed in lessons/SUMMARY.md")


def check_module(files):
    text = MODULE.read_text()
    included = re.findall(r'include_str!\("\.\./\.\./\.\./lessons/([^"]+)"\)', text)
    for name in files:
        if included.count(name) != 1:
            problems.append(f"lessons/{name} is included {included.count(name)} times in {MODULE.relative_to(ROOT)}")
    for name in included:
        if name not in files:
            problems.append(f"{MODULE.relative_to(ROOT)} includes {name}, which is not a lesson file")


def check_wired():
    lib = (ROOT / "crates/parlab/src/lib.rs").read_text()
    if not re.search(r"#\[cfg\(doctest\)\]\s*mod lessons;", lib):
        problems.append("crates/parlab/src/lib.rs does not declare `#[cfg(doctest)] mod lessons;`: no lesson would be tested")


def visible(lines):
    out = []
    for line in lines:
        s = line.strip()
        if s == "#" or s.startswith("# ") or not s:
            continue
        out.append(s)
    return out


def is_excerpt(block, path):
    want = visible(block)
    have = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    i = 0
    for line in have:
        if i < len(want) and line == want[i]:
            i += 1
    return i == len(want), (want[i] if i < len(want) else None)


def check_blocks(name):
    lines = (LESSONS / name).read_text().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(```+)(.*)$", lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m.group(2), m.group(3).strip(), i
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        body = lines[i + 1 : j]
        where = f"lessons/{name}:{start + 1}"
        if not info:
            problems.append(f"{where}: a code block without a language (rustdoc would run it as Rust)")
        elif info not in RUST_KINDS and info not in OTHER_KINDS and not re.fullmatch(r"rust,compile_fail,E\d{4}", info):
            problems.append(f"{where}: unexpected code block kind `{info}`")
        prev = next((lines[k].strip() for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        mark = re.match(r"<!--\s*same-as:\s*(\S+)\s*-->", prev)
        if mark:
            path = ROOT / mark.group(1)
            if not path.exists():
                problems.append(f"{where}: same-as names {mark.group(1)}, which does not exist")
            else:
                ok, missing = is_excerpt(body, path)
                if not ok:
                    problems.append(f"{where}: not an excerpt of {mark.group(1)}; first line not found in order: {missing!r}")
        elif info == "rust,ignore":
            problems.append(f"{where}: a rust,ignore block needs a <!-- same-as: PATH --> mark")
        i = j + 1
    for example in re.findall(r"--example\s+([A-Za-z0-9_]+)", "\n".join(lines)):
        if not any((d / f"{example}.rs").exists() for d in EXAMPLES):
            problems.append(f"lessons/{name}: names `--example {example}`, which does not exist")


def main():
    files = lesson_files()
    if not files:
        problems.append("no lesson files in lessons/")
    check_summary(files)
    check_module(files)
    check_wired()
    for name in files:
        check_blocks(name)
    for p in problems:
        print(f"lessons check: {p}")
    print(f"lessons check: {len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
