#!/usr/bin/env python3
"""The built site, read by a real browser: headless Chromium over the DevTools protocol.

    .venv/bin/python tests/site/check_browser.py [SITE_DIR]     # default: book/html

Serves the site from 127.0.0.1 on a free port, opens every notebook page (the visual guide and
the demos) and checks that its charts decoded (every <img> of the page loaded, naturalWidth > 0),
then opens the search with "Amdahl" and checks that it finds lesson pages. The server and the
browser are stopped on exit. Needs `chromium` (scripts/setup installs it) and websocket-client.
"""

import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import websocket

ROOT = Path(__file__).resolve().parents[2]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-port=0",
]
TIMEOUT = 60  # generous: the machine is shared and loaded


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # The browser is killed at the end, perhaps mid-request: a broken pipe then is no finding.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(site):
    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def until(what, probe):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {TIMEOUT} s waiting for {what}")


class Browser:
    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="parlab-chromium-")
        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        self.ws, self.next_id = None, 0
        try:
            port_file = Path(self.profile, "DevToolsActivePort")
            port = until("Chromium's DevTools port", lambda: port_file.exists() and port_file.read_text().split("\n")[0])
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT))
            page = next(t for t in targets if t["type"] == "page")
            self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=TIMEOUT, suppress_origin=True)
        except BaseException:
            self.close()
            raise

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def eval(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url):
        self.call("Page.navigate", url=url)
        until(f"{url} to load", lambda: self.eval("document.readyState") == "complete" and self.eval("location.href") == url)

    def close(self):
        try:
            if self.ws:
                self.ws.close()
        finally:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the process group of the browser started here
            self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


IMAGES = "JSON.stringify([...document.querySelectorAll('main img')].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]))"
HITS = "[...document.querySelectorAll('#mdbook-searchresults li a')].map(a => a.getAttribute('href'))"


def check_charts(browser, base, page):
    """The page's images, once all have finished loading, as [src, complete, naturalWidth]."""
    browser.open(base + page)

    def loaded():
        images = json.loads(browser.eval(IMAGES))
        return images if all(done for _, done, _ in images) else None

    images = until(f"the images of {page} to finish loading", loaded)
    broken = [src for src, _, width in images if width == 0]
    if broken:
        return images, [f"{page}: {len(broken)} of {len(images)} images did not decode: {broken[:3]}"]
    print(f"check_browser: {page}: {len(images)} of {len(images)} images decoded")
    return images, []


def check_search(browser, base, word):
    browser.open(f"{base}index.html?search={word}")
    try:
        hits = until(f"search results for {word!r}", lambda: browser.eval(HITS))
    except TimeoutError as e:
        return [f"search for {word!r} found nothing: {e}"]
    print(f"check_browser: search for {word!r}: {len(hits)} results, e.g. {hits[:2]}")
    if not any(not h.startswith("notebooks/") and h.split("?")[0] != "print.html" for h in hits):
        return [f"search for {word!r} found no lesson page: {hits}"]
    return []


def main(site):
    site = Path(site).resolve()
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        return ["chromium is not installed: run scripts/setup as root, or apt-get install chromium"]
    pages = [f"notebooks/{p.stem}.html" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    if "notebooks/visual_guide.html" not in pages:
        return ["notebooks/visual_guide.ipynb is missing: the browser check needs the visual guide"]
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    browser = Browser(binary)
    try:
        problems, charts = [], {}
        for page in pages:
            charts[page], found = check_charts(browser, base, page)
            problems += found
        if not charts["notebooks/visual_guide.html"]:
            problems.append("the visual guide's page shows no chart")
        if not any(images for page, images in charts.items() if "/demo_" in page):
            problems.append("no demo page shows a chart")
        problems += check_search(browser, base, "Amdahl")
        return problems
    finally:
        browser.close()
        server.shutdown()


if __name__ == "__main__":
    found = main(sys.argv[1] if len(sys.argv) > 1 else ROOT / "book/html")
    for p in found:
        print(p)
    sys.exit(1 if found else 0)
