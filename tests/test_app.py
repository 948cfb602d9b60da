"""The explorer (sim/app.py): seeds, figures and the parameter table; then the page in a real browser.

The browser test drives Debian's Chromium through Playwright for Python (``make test`` installs
both: the ``dev`` extra and ``.ci/install-browser``). Where either is missing it is skipped
with the reason, never silently. Set ``CASIM_SCREENSHOT=docs/explorer.png`` to also save its
screenshot there.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

pytest.importorskip("solara", reason="the app extra is not installed (pip install -e '.[app]')")

from sim import app
from sim.figures import STATE_COLOURS
from sim.geography import STATES
from sim.parameters import parameter_specs

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ without a browser


@pytest.mark.parametrize(("text", "seed"), [("42", 42), (" 7\n", 7), ("0", 0), (str(2**63 - 1), 2**63 - 1)])
def test_a_whole_number_is_the_seed(text, seed):
    assert app.seed_from_text(text) == seed


@pytest.mark.parametrize("text", ["Tashkent 2016", "-5", str(2**63), "9" * 40, "", "٣", "1e3", "0x10",
                                  "__import__('os').system('touch /tmp/casim-pwned')"])
def test_other_text_is_hashed_never_evaluated(text):
    seed = app.seed_from_text(text)
    assert seed == app.seed_from_text(text)  # deterministic
    assert 0 <= seed < 2**63
    assert seed != app.seed_from_text(text + "x")
    assert not Path("/tmp/casim-pwned").exists()


def test_the_explorer_model_takes_a_text_seed_and_a_scenario_name():
    first = app.Explorer(scenario_name="no_opening_2016", seed="Samarkand", border_open_bias=-0.2)
    again = app.Explorer(scenario_name="no_opening_2016", seed="Samarkand", border_open_bias=-0.2)
    for model in (first, again):
        for _ in range(5):
            model.step()
    assert first.casim_scenario.name == "no_opening_2016"
    assert first.replicate_seed == app.seed_from_text("Samarkand")
    assert first.params.border_open_bias == -0.2
    assert first.region_value("integration_index") == again.region_value("integration_index")


def test_the_explorer_model_ignores_mesas_own_scenario_argument():
    # Mesa 3.5's Reset passes scenario=<mesa.experimental.scenarios.Scenario>.
    model = app.Explorer(scenario=object(), scenario_name="baseline", seed="3")
    assert model.casim_scenario.name == "baseline"


def test_sliders_show_name_unit_and_range_of_real_parameters():
    specs = parameter_specs()
    params = app.model_params()
    assert params["scenario_name"]["values"] == sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    assert "baseline" in params["scenario_name"]["values"]
    assert params["seed"]["type"] == "InputText"
    assert len(app.KEY_PARAMETERS) >= 6
    assert {specs[name].factor for name in app.KEY_PARAMETERS} >= {"water", "territory", "economy"}
    for name in app.KEY_PARAMETERS:
        slider, spec = params[name], specs[name]
        assert slider["type"] == "SliderFloat"
        assert (slider["min"], slider["max"], slider["value"]) == (spec.min, spec.max, spec.default)
        assert name in slider["label"] and spec.unit in slider["label"]
        assert f"{spec.min:g} to {spec.max:g}" in slider["label"]
        assert 0 < slider["step"] <= (spec.max - spec.min) / 20


def test_parameter_table_lists_unit_range_default_and_source():
    model = app.Explorer(bloc_pull=0.9)
    specs = parameter_specs()
    rows = {row["parameter"]: row for row in app.parameter_rows(model)}
    assert list(rows) == list(app.KEY_PARAMETERS)
    for name, row in rows.items():
        spec = specs[name]
        assert (row["unit"], row["range"], row["source"]) == (spec.unit, f"{spec.min:g} to {spec.max:g}", spec.source)
        assert row["default"] == f"{spec.default:.3g}" and row["what it does"] == spec.description
    assert rows["bloc_pull"]["in use"] == "0.9"
    assert app.parameter_table_html(model).count("<tr>") == 1 + len(rows)


def test_parameter_table_cells_are_escaped(monkeypatch):
    row = dict.fromkeys(app.TABLE_COLUMNS, "<script>alert(1)</script> & more")
    monkeypatch.setattr(app, "parameter_rows", lambda model=None: [row])
    table = app.parameter_table_html()
    assert "<script>" not in table and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in table


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_figures_draw_on_a_fresh_model_and_after_steps():
    model = app.Explorer()
    before = [_png(app.index_figure(model)), _png(app.water_energy_figure(model))]
    for colour_by in ("border_openness", "trust"):
        _png(app.network_figure(model, colour_by))
    assert "not started" in app.status(model)
    for _ in range(10):
        model.step()
    assert app.status(model).startswith("Year 2000: Regional Integration Index 0.")
    index = app.index_figure(model)
    assert all(ax.get_ylabel() for ax in index.axes)  # units on every axis
    assert _png(index) != before[0]
    water = app.water_energy_figure(model)
    assert _png(water) != before[1]
    bars = water.axes[0].patches[len(STATES):]  # the filled "supplied" bars, one per state
    assert [tuple(bar.get_facecolor()) for bar in bars] == [_rgba(STATE_COLOURS[code]) for code in STATES]
    network = app.network_figure(model)
    nodes = np.concatenate([c.get_facecolor() for c in network.axes[0].collections])
    assert [tuple(row) for row in nodes] == [_rgba(STATE_COLOURS[code]) for code in app.POSITIONS]


def _rgba(colour: str) -> tuple:
    from matplotlib.colors import to_rgba

    return to_rgba(colour)


def test_the_page_renders_resets_and_steps_without_a_browser():
    import ipyvuetify as v
    import solara

    _box, rc = solara.render(solara.AppLayout(children=[app.page]), handle_error=False)  # the layout shows the sidebar
    status = rc.find(v.Html, class_="casim-status")
    assert "not started" in status.widget.children[0]
    for _ in range(2):
        rc.find(v.Btn, children=["Step"]).widget.click()
    assert status.widget.children[0].startswith("Year 1992: Regional Integration Index")
    rc.find(v.Btn, children=["Reset"]).widget.click()  # a new Explorer from the inputs (Mesa 3.3 and 3.5 differ)
    assert "not started" in status.widget.children[0]
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert status.widget.children[0].startswith("Year 1991: Regional Integration Index")
    rc.close()


# --------------------------------------------------------------------- in a browser

STEP_TIMEOUT_MS = 20_000


def _chromium() -> tuple[str | None, str]:
    for name in (os.environ.get("CASIM_CHROMIUM"), "chromium", "chromium-browser"):
        path = shutil.which(name) if name else None
        if path:
            return path, ""
    note = Path(tempfile.gettempdir()) / "casim-browser-missing.txt"  # written by .ci/install-browser
    why = note.read_text(encoding="utf-8").strip() if note.is_file() else "no chromium on PATH (run .ci/install-browser)"
    return None, why


@pytest.fixture
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a browser Playwright downloads)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("no browser: Playwright for Python is not installed (pip install -e '.[dev]')")
    executable, why = _chromium()
    if executable is None:
        pytest.skip(f"no browser: {why}")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"], headless=True)
        except Error as error:
            pytest.skip(f"no browser: {executable} does not start: {str(error).splitlines()[0]}")
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def explorer_url(tmp_path):
    """``sim.app.launch`` (what ``casim app`` runs) serving on a free port; stopped afterwards."""
    port = _free_port()
    log_path = tmp_path / "server.log"
    # Any asset the server would fetch from a CDN fails instead (solara proxies /_solara/cdn/).
    env = {**os.environ, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/"}
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen([sys.executable, "-c", f"import sys, sim.app; sys.exit(sim.app.launch(port={port}))"],
                                  stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the explorer did not start on port {port}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield f"http://127.0.0.1:{port}/"
        log_text = log_path.read_text(encoding="utf-8")
        assert "Traceback" not in log_text and "Could not load URL" not in log_text, log_text[-3000:]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_explorer_in_a_browser(browser, explorer_url, tmp_path):
    """Open the page offline; step, move a slider, reset and step: the curves move; play; a text seed."""
    from playwright.sync_api import expect

    started = time.monotonic()
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    page.set_default_timeout(STEP_TIMEOUT_MS)
    outside, failed = [], []

    def local_only(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:  # a CDN or anything else on the internet: refuse, and fail below
            outside.append(url)
            route.abort()

    page.route("**/*", local_only)
    page.on("requestfailed", lambda request: failed.append(f"{request.url}: {request.failure}"))
    page.on("response", lambda response: response.status >= 400 and failed.append(f"{response.url}: {response.status}"))

    page.goto(explorer_url, timeout=60_000)
    status = page.locator(".casim-status")
    expect(status).to_contain_text("not started", timeout=60_000)
    print(f"page rendered after {time.monotonic() - started:.1f} s")
    index_image = page.locator(".vue-grid-item", has=status).locator("img").first
    buttons = {name: page.get_by_role("button", name=name, exact=True) for name in ("Step", "Reset", "▶")}
    years_per_step = 5
    interval = page.get_by_role("slider", name="Render Interval (steps)")  # Mesa's: years per click of Step
    interval.focus()
    for _ in range(2):
        interval.press("ArrowRight")  # 1 -> 3 -> 5
    assert interval.get_attribute("aria-valuenow") == str(years_per_step)

    def plot() -> bytes:
        """The index plot as shown, once its newest image has loaded."""
        time.sleep(0.3)  # the image is sent with the status line; let the browser swap it in
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=index_image.element_handle())
        return index_image.screenshot()

    def run_to(last: int, *, first: int = 1990) -> bytes:
        for year in range(first + years_per_step, last + 1, years_per_step):
            buttons["Step"].click()
            expect(status).to_contain_text(f"Year {year}:")
        return plot()

    def reset() -> None:
        buttons["Reset"].click()
        expect(status).to_contain_text("not started")

    empty = plot()
    default_2000 = run_to(2000)
    default_status = status.inner_text()
    assert default_2000 != empty, "the index plot did not change when the model stepped"

    slider = page.get_by_role("slider", name=re.compile(r"^border_open_bias"))
    old_value = float(slider.get_attribute("aria-valuenow"))
    slider.focus()
    for _ in range(2):
        slider.press("PageDown")  # a tenth of the range each
    new_value = float(slider.get_attribute("aria-valuenow"))
    assert new_value < old_value - 0.3, (old_value, new_value)
    reset()
    changed_2000 = run_to(2000)
    assert status.inner_text() != default_status, "moving border_open_bias did not change the integration index"
    assert changed_2000 != default_2000, "moving border_open_bias did not change the index plot"
    expect(page.locator(".casim-table tr", has_text="border_open_bias")).to_contain_text(f"{new_value:.3g}")
    print(f"stepped, moved a slider, reset and stepped after {time.monotonic() - started:.1f} s")

    run_to(2020, first=2000)
    plot()
    page.mouse.move(0, 0)
    screenshots = [tmp_path / "explorer.png"]
    if os.environ.get("CASIM_SCREENSHOT"):
        screenshots.append(Path(os.environ["CASIM_SCREENSHOT"]))
    for path in screenshots:
        page.screenshot(path=str(path))
    assert screenshots[0].stat().st_size > 10_000
    print(f"screenshot {' and '.join(map(str, screenshots))}")

    buttons["▶"].click()
    expect(status).to_contain_text("Year 2050:", timeout=60_000)  # plays to the end of the scenario

    seed = page.get_by_label(re.compile(r"^Seed"))
    seed.fill("Samarkand; __import__('os').system('touch /tmp/casim-pwned')")
    seed.press("Enter")
    reset()
    run_to(1995)
    assert not Path("/tmp/casim-pwned").exists()
    expect(page.get_by_text(re.compile("error in"))).to_have_count(0)

    assert not outside, f"the page asked for addresses outside this machine (a CDN?): {outside}"
    assert not failed, f"requests failed: {failed}"
    print(f"browser test done after {time.monotonic() - started:.1f} s")
