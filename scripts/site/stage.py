#!/usr/bin/env python3
"""Assembles the site's mdBook source: the lessons, and a page per notebook generated from the
committed .ipynb (nothing of a notebook is copied by hand).

    scripts/site/stage.py DEST

A notebook belongs to the lessons that mention it (`notebooks/NAME.ipynb` in inline code): its
page comes right after the first of them in the table of contents, the mentions become links,
each lesson ends with links to its notebooks, and each notebook page links back. A notebook that
no lesson mentions has no place in the course, so staging fails and says so.
"""

import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import notebook_page as nbp  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LESSONS, NOTEBOOKS = ROOT / "lessons", ROOT / "notebooks"
ENTRY = re.compile(r"^(\s*)- \[(.+?)\]\((.+?\.md)\)\s*$")


def main(dest):
    dest = Path(dest).resolve()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    known = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))

    summary = (LESSONS / "SUMMARY.md").read_text().split("\n")
    order = [(m.group(3), m.group(2)) for m in map(ENTRY.match, summary) if m]
    # Which notebooks each lesson mentions, and for each notebook the lessons that do.
    uses = {f: nbp.mentions((LESSONS / f).read_text(), known) for f, _ in order}
    used_by = {n: [(f, t) for f, t in order if n in uses[f]] for n in known}
    orphans = [n for n in known if not used_by[n]]
    if orphans:
        sys.exit(
            "stage: no lesson mentions " + ", ".join(f"notebooks/{n}.ipynb" for n in orphans)
            + ": say in the lesson it belongs to which notebook to open (`notebooks/NAME.ipynb`)"
        )
    home = {n: used_by[n][0][0] for n in known}  # the first lesson that mentions it

    (dest / "notebooks").mkdir()
    titles = {}
    for n in known:
        titles[n], _ = nbp.render(NOTEBOOKS / f"{n}.ipynb", dest / "notebooks", used_by[n], set(known))

    for path in LESSONS.iterdir():
        if path.name in ("SUMMARY.md", "book.toml", "book") or path.name.startswith("."):
            continue
        if path.suffix != ".md":
            (shutil.copytree if path.is_dir() else shutil.copy)(path, dest / path.name)
            continue
        body = nbp.link_mentions(path.read_text(), set(known), "notebooks/")
        own = uses.get(path.name, [])
        if own:
            links = "\n".join(f"- [{titles[n]}](notebooks/{n}.md)" for n in own)
            body = body.rstrip() + "\n\n---\n\n**This lesson's notebooks**, with their saved outputs:\n\n" + links + "\n"
        (dest / path.name).write_text(body)

    out = []
    for line in summary:
        out.append(line)
        m = ENTRY.match(line)
        if m:
            for n in (n for n in uses[m.group(3)] if home[n] == m.group(3)):
                out.append(f"{m.group(1)}    - [Notebook: {titles[n]}](notebooks/{n}.md)")
    (dest / "SUMMARY.md").write_text("\n".join(out))
    shutil.copy(LESSONS / "book.toml", dest / "book.toml")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
