#!/usr/bin/env python3
"""Proves the site's checks fail when they should: each fault is put into a copy (of a committed
notebook, or of the built site) and the check must name it; the untouched copy must pass.

    tests/site/faults.py [SITE_DIR]      # default: book/html (run scripts/book first)
"""

import copy
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import check_browser  # noqa: E402
import check_outputs  # noqa: E402
import check_site  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
failures = []


def expect(name, problems, word):
    hit = [p for p in problems if word in p and not p.startswith("note: ")]
    print(f"faults: {name}: {'caught' if hit else 'MISSED'}{': ' + hit[0] if hit else ''}")
    if not hit:
        failures.append(name)


def chart_cell(nb):
    return next(c for c in nb["cells"] if "chart" in c.get("metadata", {}).get("tags", []))


def notebook_faults(tmp):
    original = json.loads((ROOT / "notebooks/visual_guide.ipynb").read_text())

    def variant(name, change):
        nb = copy.deepcopy(original)
        change(nb)
        path = tmp / f"{name}.ipynb"
        path.write_text(json.dumps(nb))
        return list(check_outputs.problems(path))

    clean = [p for p in variant("clean", lambda nb: None) if not p.startswith("note: ")]
    if clean:
        failures.append(f"the committed visual guide fails check_outputs: {clean[0]}")

    def strip_images(nb):
        for out in chart_cell(nb)["outputs"]:
            out.get("data", {}).pop("image/png", None)

    def panic(nb):
        chart_cell(nb)["outputs"].append(
            {"output_type": "stream", "name": "stderr", "text": ["thread 'main' panicked at src/lib.rs:1:1:\n"]}
        )

    def error(nb):
        chart_cell(nb)["outputs"].append({"output_type": "error", "ename": "Error", "evalue": "boom", "traceback": []})

    expect("a chart cell saved without its image", variant("no_image", strip_images), "holds no image")
    expect("a panic in an output", variant("panic", panic), "panic")
    expect("an error output", variant("error", error), "error output")


def site_faults(site, tmp):
    def variant(name, change):
        copy_dir = tmp / name
        shutil.copytree(site, copy_dir)
        change(copy_dir)
        return check_site.main(copy_dir)

    clean = variant("clean", lambda d: None)
    if clean:
        failures.append(f"the built site fails check_site: {clean[0]}")
    guide = "notebooks/visual_guide.html"

    def delete_chart(d):
        next((d / "notebooks/visual_guide").glob("*.png")).unlink()

    def break_link(d):
        p = d / "03-threads.html"
        p.write_text(p.read_text().replace('href="notebooks/demo_1b.html"', 'href="notebooks/demo_1x.html"', 1))

    def drop_img(d):
        # mdBook writes each image twice (the second for its zoom): drop every <img> of the first chart.
        p = d / guide
        html = p.read_text()
        src = re.search(r'<img src="([^"]+)"', html).group(1)
        p.write_text(re.sub(r'<img src="' + re.escape(src) + '"[^>]*>', "", html))

    def unlink_lesson(d):
        p = d / "notebooks/demo_1b.html"
        p.write_text(p.read_text().replace('href="../03-threads.html"', 'href="../04-processes.html"'))

    def corrupt_png(d):
        next((d / "notebooks/visual_guide").glob("*.png")).write_bytes(b"not a png")

    expect("a missing image", variant("no_png", delete_chart), "missing file")
    expect("a broken link from a lesson", variant("link", break_link), "demo_1x.html points to a missing file")
    expect("a notebook page without one of its charts", variant("drop_img", drop_img), "images, the notebook")
    expect("a notebook page without its link back", variant("backlink", unlink_lesson), "does not link back")
    expect("an image that does not decode", variant("bad_png", corrupt_png), "not a PNG")


def browser_faults(site, tmp):
    copy_dir = tmp / "browser"
    shutil.copytree(site, copy_dir)
    next((copy_dir / "notebooks/visual_guide").glob("*.png")).write_bytes(b"not a png")
    for index in copy_dir.glob("searchindex*.js*"):
        index.write_text("")
    check_browser.TIMEOUT = 10  # the search must time out here, so do not wait the full minute
    problems = check_browser.main(copy_dir)
    expect("a chart the browser cannot decode", problems, "did not decode")
    expect("a search that finds nothing", problems, "found nothing")


def main(site):
    with tempfile.TemporaryDirectory(prefix="parlab-site-faults-") as tmp:
        notebook_faults(Path(tmp))
        site_faults(Path(site), Path(tmp))
        browser_faults(Path(site), Path(tmp))
    for f in failures:
        print(f"faults: FAILED: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ROOT / "book/html"))
