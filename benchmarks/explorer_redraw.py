"""How long the explorer's ensemble page takes to redraw after a slider moves.

Run from the project folder (not part of ``make bench`` or the tests)::

    python benchmarks/explorer_redraw.py              # server side, then in Chromium if there is one
    python benchmarks/explorer_redraw.py --no-browser

Server side (in this process): :func:`sim.views.ensemble_view.redraw` on one canvas, as the page
calls it, for

- the first draw (posterior, patterns and figure loaded; every run made);
- a slider moved to a value not seen before: 40 new runs (10 posterior draws x 4 seeds,
  1991-2050), the reference reused, the bands redrawn over the kept background;
- a slider moved back to a value seen before (runs reused: the figure only);
- another scenario (new runs, and the background of the figure redrawn);
- 80 and 160 runs.

In the browser (``sim.views.app.launch`` serving, Playwright driving the system's Chromium): from
the key press that moves ``border_open_bias`` one step to the new figure's ``load`` event,
timed in the page with ``performance.now()`` (so Playwright's polling adds nothing). Each
press sets a value not seen before.

Prints a markdown table with the machine's CPU count and load average before and after:
the machine is shared, and the times scale with its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sim.views import ensemble_view as ev

ROOT = Path(__file__).resolve().parent.parent
SLIDER = "border_open_bias"
MOVES = 15

# In the page: the times at which the readout's text changes and the figure's new image loads.
WATCH = """() => {
  window.__casim = {start: performance.now()};
  const img = document.querySelector('.casim-figure img');
  img.addEventListener('load', () => { window.__casim.load = window.__casim.load || performance.now(); },
                       {once: true});
}"""


def summary(values: list[float]) -> str:
    values = sorted(values)
    return (f"{statistics.median(values):.2f} | {values[int(0.9 * (len(values) - 1))]:.2f} | {values[-1]:.2f} "
            f"| {len(values)}")


def server_side() -> list[tuple[str, list[float], str]]:
    canvas = ev.EnsembleCanvas()
    step = ev.slider_step(SLIDER)
    point = ev.parameter_specs()[SLIDER].default
    rows = []

    started = time.perf_counter()
    view = ev.redraw(ev.Settings(), None, canvas)
    rows.append(("first draw (imports done; posterior, patterns, runs, figure)", [time.perf_counter() - started],
                 ""))

    new, figure = [], []
    settings = ev.Settings()
    for k in range(1, MOVES + 1):
        settings = settings.override(SLIDER, round(point - 4 * k * step, 6))
        view = ev.redraw(settings, view.current, canvas)
        assert not view.reused["runs"] and view.reused["reference"]
        new.append(view.seconds["total"])
        figure.append(view.seconds["figure"])
    rows.append((f"slider to a new value: {ev.DEFAULT_RUNS} new runs, reference reused", new,
                 f"figure alone: median {statistics.median(figure):.2f} s"))

    again = []
    for k in range(1, 6):
        view = ev.redraw(ev.Settings().override(SLIDER, round(point - 4 * k * step, 6)), view.current, canvas)
        assert view.reused["runs"]
        again.append(view.seconds["total"])
    rows.append(("slider back to a value seen before (runs reused)", again, ""))

    other = []
    for name in ("no_opening_2016", "water_deficit_2050", "water_deficit_2050_with_barter"):
        view = ev.redraw(ev.Settings(scenario=name), view.current, canvas)
        other.append(view.seconds["total"])
    rows.append(("another scenario (new runs, figure background redrawn)", other, ""))

    for runs in (80, 160):
        times = []
        for k in range(1, 6):
            settings = ev.Settings(runs=runs).override(SLIDER, round(point + 7 * k * step, 6))
            view = ev.redraw(settings, view.current, canvas)
            times.append(view.seconds["total"])
        rows.append((f"slider to a new value, {runs} runs", times, ""))
    return rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def in_browser() -> tuple[str, list[float], str] | str:
    """Key press to loaded figure in Chromium, or why it was not measured."""
    try:
        from playwright.sync_api import Error, expect, sync_playwright
    except ImportError:
        return "not measured: Playwright is not installed (pip install -e '.[dev]')"
    chromium = next((shutil.which(n) for n in (os.environ.get("CASIM_CHROMIUM"), "chromium", "chromium-browser")
                     if n and shutil.which(n)), None)
    if chromium is None:
        return "not measured: no chromium on PATH (bash .ci/install-browser)"
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c",
                               f"import sys, sim.views.app; sys.exit(sim.views.app.launch(port={port}))"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if time.monotonic() > deadline:
                return "not measured: the explorer did not start"
            time.sleep(0.25)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"], headless=True)
            page = browser.new_page(viewport={"width": 1500, "height": 1300})
            page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
            median = page.locator(".casim-readout-2030")
            expect(median).to_have_count(1, timeout=60_000)
            slider = page.get_by_role("slider", name=re.compile(f"^{SLIDER}"))
            slider.focus()
            slider.press("ArrowLeft")  # the first move also draws the ghost's legend: left out
            page.wait_for_timeout(3000)
            times, unchanged = [], 0
            for _ in range(MOVES):
                page.evaluate(WATCH)
                slider.press("ArrowLeft")  # one step down: a value not seen before
                value = float(slider.get_attribute("aria-valuenow"))
                expect(page.locator(".casim-set")).to_have_text(f"{value:.4g}", timeout=30_000)  # the server answered
                try:
                    page.wait_for_function("() => window.__casim.load", timeout=5_000)
                except Error:  # the step changed no pixel of the figure
                    unchanged += 1
                    continue
                times.append(page.evaluate("() => (window.__casim.load - window.__casim.start) / 1000"))
            browser.close()
        note = "the browser, the server and the benchmark share the machine"
        if unchanged:
            note += f"; {unchanged} of {MOVES} steps left the figure as it was (not counted)"
        return f"key press to new figure loaded, in Chromium ({ev.DEFAULT_RUNS} new runs each)", times, note
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="server side only")
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows = server_side()
    browser = None if args.no_browser else in_browser()
    load_after = os.getloadavg()
    print(f"Explorer redraw, {time.strftime('%Y-%m-%d %H:%M')}: {os.cpu_count()} CPUs "
          f"({platform.processor() or platform.machine()}), Python {platform.python_version()}; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min)\n")
    print("| Redraw | median (s) | 90% (s) | max (s) | times | note |")
    print("|---|---:|---:|---:|---:|---|")
    for label, values, note in rows:
        print(f"| {label} | {summary(values)} | {note} |")
    if isinstance(browser, tuple):
        label, values, note = browser
        print(f"| {label} | {summary(values)} | {note} |")
    elif browser:
        print(f"\nIn the browser: {browser}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
