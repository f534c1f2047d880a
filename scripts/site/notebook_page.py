"""One notebook (nbformat 4 JSON) as one mdBook page, with its saved outputs.

Only the standard library, so that `scripts/book` runs on a fresh clone before the
Python tools of `scripts/setup` (and the kernel they come with) are installed.
PNG and SVG outputs become files beside the page; everything else becomes text.
"""

import base64
import json
import re
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Mentions such as `notebooks/demo_2.ipynb` or `demo_2.ipynb`, in inline code.
MENTION = re.compile(r"`(?:notebooks/)?([A-Za-z0-9_\-]+)\.ipynb`")


def text(value):
    """nbformat stores multi-line strings either whole or as a list of lines."""
    return "".join(value) if isinstance(value, list) else value


def fence(body, info=""):
    """A fenced block that no run of backticks inside `body` can close."""
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{body.rstrip()}\n{ticks}\n"


def rust_source(source):
    # mdBook hides Rust lines that start with `# ` (rustdoc's hidden lines); a notebook shows them all.
    return re.sub(r"(?m)^(\s*)#(?= |$)", r"\1##", source)


def link_mentions(markdown, known, prefix):
    """Turns inline-code mentions of known notebooks into links, outside fenced code."""
    out, in_fence = [], None
    for line in markdown.split("\n"):
        m = re.match(r"\s*(`{3,}|~{3,})", line)
        if m:
            marker = m.group(1)
            if in_fence is None:
                in_fence = marker
            elif marker.startswith(in_fence):
                in_fence = None
        elif in_fence is None:
            line = MENTION.sub(
                lambda mm: f"[{mm.group(0)}]({prefix}{mm.group(1)}.md)" if mm.group(1) in known else mm.group(0),
                line,
            )
        out.append(line)
    return "\n".join(out)


def mentions(markdown, known):
    """The known notebooks a text mentions, in order of first mention."""
    seen = []
    for name in MENTION.findall(markdown):
        if name in known and name not in seen:
            seen.append(name)
    return seen


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def title(nb, fallback):
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            m = re.search(r"(?m)^#\s+(.+?)\s*$", text(cell["source"]))
            if m:
                return m.group(1)
    return fallback


def output_markdown(out, stem, files):
    """Markdown for one output; image outputs are appended to `files` as (name, bytes)."""
    kind = out["output_type"]
    if kind == "stream":
        return fence(ANSI.sub("", text(out["text"])), "text")
    if kind == "error":
        return fence(ANSI.sub("", "\n".join(out.get("traceback") or [f"{out['ename']}: {out['evalue']}"])), "text")
    data = out.get("data", {})
    alt = re.sub(r"[\[\]\n]", " ", text(data.get("text/plain", "chart"))).strip()[:200]
    for mime, ext in (("image/png", "png"), ("image/svg+xml", "svg")):
        if mime in data:
            name = f"{stem}-{len(files) + 1}.{ext}"
            raw = text(data[mime])
            files.append((name, base64.b64decode(raw) if ext == "png" else raw.encode()))
            return f"![{alt}]({name})\n"
    if "text/markdown" in data:
        return text(data["text/markdown"]) + "\n"
    if "text/html" in data:
        return text(data["text/html"]) + "\n"
    if "text/plain" in data:
        return fence(ANSI.sub("", text(data["text/plain"])), "text")
    return ""


def header(name, heading, lessons, params):
    """What a reader needs before the cells: where this comes from, how to run it, what to change."""
    back = ", ".join(f"[{t}](../{f})" for f, t in lessons) or "none yet"
    # The values set from literals are the knobs; `let cores = cpus.available;` is derived.
    literal = r"(?m)^\s*let\s+(?:mut\s+)?(\w+)\s*(?::[^=]+)?=\s*(?:-?\d|\"|'|\[|vec!|true\b|false\b)"
    knobs = ", ".join(f"`{v}`" for v in re.findall(literal, params or ""))
    lines = [
        f"# {heading}",
        "",
        f"> This page is the notebook `notebooks/{name}.ipynb` with the outputs saved in the repository,",
        "> rendered when the site was built. Lesson: " + back + ".",
        ">",
        "> **Run it for real:** from the repository root, `scripts/lab` opens the notebooks in JupyterLab with",
        "> the Rust kernel (its first run compiles the kernel, 15–25 minutes), and `scripts/test` reruns every",
        "> notebook and checks its outputs.",
    ]
    if params is not None:
        lines += [
            ">",
            "> **Rerun with other worker counts:** edit the [`parameters` cell](#parameters) (tagged `parameters`"
            + (f"; it sets {knobs}" if knobs else "")
            + "), then run all cells (Run → Run All Cells).",
        ]
    return "\n".join(lines) + "\n"


def render(path, out_dir, lessons, known):
    """Writes out_dir/<name>.md and its images; returns (title, number of images)."""
    nb, name = load(path), Path(path).stem
    heading = title(nb, name)
    params = next(
        (text(c["source"]) for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])), None
    )
    parts, files, skipped_title = [header(name, heading, lessons, params)], [], False
    for i, cell in enumerate(nb["cells"]):
        source = text(cell["source"])
        if cell["cell_type"] == "markdown":
            if not skipped_title:  # the header above already carries the notebook's title
                source, n = re.subn(r"(?m)^#\s+.+\n?", "", source, count=1)
                skipped_title = n == 1
            # A link that works in the repository (notebooks/ → ../lessons/X.md) points at the
            # site's layout instead, where lessons sit at the top beside notebooks/.
            source = re.sub(r"\]\(\.\./lessons/([^)#]+\.md)", r"](../\1", source)
            parts.append(link_mentions(source, known, "") + "\n")
        elif cell["cell_type"] == "code":
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                parts.append('<a id="parameters"></a>\n\n**The `parameters` cell** — change these to rerun with other values:\n')
            parts.append(fence(rust_source(source), "rust"))
            for out in cell.get("outputs", []):
                parts.append(output_markdown(out, f"{name}/cell-{i:02d}", files))
    Path(out_dir, name).mkdir(parents=True, exist_ok=True)
    for file, data in files:
        Path(out_dir, file).write_bytes(data)
    Path(out_dir, f"{name}.md").write_text("\n".join(parts), encoding="utf-8")
    return heading, len(files)
