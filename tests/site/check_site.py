#!/usr/bin/env python3
"""The built site, checked file by file (no browser: tests/site/check_browser.py is that).

    tests/site/check_site.py [SITE_DIR]      # default: book/html

- every internal link and image of every page points to a file of the site, and every #anchor
  to an id on the page it names;
- every image is a decodable PNG (or an SVG) of non-zero size;
- every notebook of notebooks/ has a page that holds as many images as the notebook has image
  outputs, says how to run it (`scripts/lab`, `scripts/test`), links back to every lesson that
  names it (and each such lesson links to it), and points at its `parameters` cell if it has one;
- no markdown image syntax was left unrendered.
One line per problem; exits 1 if there is any.
"""

import json
import re
import struct
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts/site"))
import notebook_page as nbp  # noqa: E402  (how the site decides which lesson names which notebook)
UNRENDERED = re.compile(r"!\[[^\]\n]*\]\([^)\s]+\.(?:png|svg|jpe?g|gif)\)")


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.images, self.ids, self.text, self.base = [], [], set(), [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "base" and a.get("href"):
            self.base = a["href"]
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        for attr in ("href", "src"):
            if a.get(attr) and not (tag == "img" and attr == "src"):
                self.links.append(a[attr])

    def handle_data(self, data):
        self.text.append(data)


def parse(path):
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def resolve(site, page_path, url, base=None):
    """The file and fragment an internal url names, or None for an external one. A root-relative
    url or <base href="/"> (mdBook's 404 page) counts from the site's root."""
    parts = urlsplit(url)
    if parts.scheme or url.startswith("//"):
        return None
    if not parts.path:
        return page_path, unquote(parts.fragment)
    path = unquote(parts.path)
    if path.startswith("/"):
        target = site / path.lstrip("/")
    elif base == "/":
        target = site / path
    else:
        target = page_path.parent / path
    target = target.resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def image_outputs(nb_path):
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return sum(
        1
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if any(m in o.get("data", {}) for m in ("image/png", "image/svg+xml"))
    )


def main(site):
    site = Path(site).resolve()
    problems = []
    pages = {p.resolve(): parse(p) for p in site.rglob("*.html")}
    if not pages:
        return [f"no pages in {site}: run scripts/book"]
    for path, page in pages.items():
        name = path.relative_to(site)
        for url in page.links + page.images:
            hit = resolve(site, path, url, page.base)
            if hit is None:
                continue
            target, fragment = hit
            if not target.is_file():
                problems.append(f"{name}: {url} points to a missing file")
            elif fragment and target.suffix == ".html" and fragment not in pages[target].ids:
                problems.append(f"{name}: {url} points to a missing anchor")
        for url in page.images:
            hit = resolve(site, path, url, page.base)
            if hit is None or not hit[0].is_file():
                continue
            data = hit[0].read_bytes()
            if hit[0].suffix == ".png" and not (png_size(data) and min(png_size(data)) > 0):
                problems.append(f"{name}: image {url} is not a PNG of non-zero size")
            elif hit[0].suffix == ".svg" and b"<svg" not in data:
                problems.append(f"{name}: image {url} is not an SVG")
        if UNRENDERED.search("".join(page.text)):
            problems.append(f"{name}: holds markdown image syntax that was not rendered")

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    known = {nb.stem for nb in notebooks}
    used_by = {}
    for lesson in sorted((ROOT / "lessons").glob("*.md")):
        for name in nbp.mentions(lesson.read_text(encoding="utf-8"), known):
            used_by.setdefault(name, []).append(lesson.stem)
    for nb in notebooks:
        path = (site / "notebooks" / f"{nb.stem}.html").resolve()
        page = pages.get(path)
        if page is None:
            problems.append(f"notebooks/{nb.name} has no page in the site")
            continue
        # mdBook shows each image twice (once more for its zoom), so count distinct files.
        want, have = image_outputs(nb), len(set(page.images))
        if have != want:
            problems.append(f"notebooks/{nb.stem}.html holds {have} images, the notebook {want} image outputs")
        text = "".join(page.text)
        for command in ("scripts/lab", "scripts/test"):
            if command not in text:
                problems.append(f"notebooks/{nb.stem}.html does not say how to run it ({command})")
        for lesson in used_by.get(nb.stem, []):
            if f"../{lesson}.html" not in page.links:
                problems.append(f"notebooks/{nb.stem}.html does not link back to {lesson}.html, which names it")
            if f"notebooks/{nb.stem}.html" not in pages.get((site / f"{lesson}.html").resolve(), Page()).links:
                problems.append(f"{lesson}.html names notebooks/{nb.name} but does not link to its page")
        if '"parameters"' in nb.read_text(encoding="utf-8") and "parameters" not in page.ids:
            problems.append(f"notebooks/{nb.stem}.html does not mark its parameters cell")
    print(f"check_site: {len(pages)} pages, {len(notebooks)} notebook pages, {len(problems)} problems")
    return problems


if __name__ == "__main__":
    found = main(sys.argv[1] if len(sys.argv) > 1 else ROOT / "book/html")
    for p in found:
        print(p)
    sys.exit(1 if found else 0)
