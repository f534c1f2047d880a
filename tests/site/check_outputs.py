#!/usr/bin/env python3
"""The committed notebooks carry their outputs, and none of them is a failure.

    tests/site/check_outputs.py [NOTEBOOK.ipynb ...]     # default: notebooks/*.ipynb

The site shows these saved outputs, so a fresh clone must have them: no output is an error, no
output says "panicked at", and every cell tagged `chart` holds an image (PNG or SVG). One line
per problem; exits 1 if there is any. A code cell saved without being run is a problem too: the
site and a fresh clone would show it empty (save with run_notebooks.py --write-outputs).
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ("image/png", "image/svg+xml")


def text(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def output_texts(out):
    if out["output_type"] == "stream":
        yield text(out.get("text"))
    elif out["output_type"] == "error":
        yield out.get("ename", "") + ": " + out.get("evalue", "") + "\n" + "\n".join(out.get("traceback", []))
    for mime, value in out.get("data", {}).items():
        if mime.startswith("text/"):
            yield text(value)


def problems(path):
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError) as e:
        yield f"not a readable notebook: {e}"
        return
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        where = f"cell {i}"
        outputs = cell.get("outputs", [])
        if text(cell.get("source")).strip() and cell.get("execution_count") is None:
            yield f"{where} was saved without being run (no execution count): save the notebook with its outputs"
        for out in outputs:
            if out.get("output_type") == "error":
                yield f"{where} has an error output: {out.get('ename')}: {out.get('evalue', '')[:200]}"
            for t in output_texts(out):
                if "panicked at" in t:
                    line = next(ln for ln in t.splitlines() if "panicked at" in ln)
                    yield f"{where} has a panic in its output: {line.strip()[:200]}"
        tags = cell.get("metadata", {}).get("tags", [])
        if "chart" in tags and not any(m in out.get("data", {}) for out in outputs for m in IMAGES):
            yield f"{where} is tagged `chart` but holds no image: run it and save the notebook"


def main(paths):
    paths = paths or sorted(str(p) for p in (ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("check_outputs: no notebooks found")
        return 1
    found = notes = 0
    for path in paths:
        for problem in problems(path):
            print(f"{Path(path).name}: {problem}")
            if problem.startswith("note: "):
                notes += 1
            else:
                found += 1
    print(f"check_outputs: {len(paths)} notebooks, {found} problems, {notes} notes")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
