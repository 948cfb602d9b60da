"""The explorer (sim/views/app.py): seeds, inputs, figures and both pages; then the pages in a real browser.

The browser tests drive Debian's Chromium through Playwright for Python (``make test`` installs
both: the ``dev`` extra and ``.ci/install-browser``). Where either is missing they are skipped
with the reason, never silently. Set ``CASIM_SCREENSHOTS=docs`` to also save their screenshots
(``explorer.png``, ``explorer_ensemble.png``) there.
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

from sim.figures.style import STATE_COLOURS
from sim.inputs.geography import STATES
from sim.inputs.parameters import parameter_specs
from sim.views import app
from sim.views import ensemble_view as ev

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


def test_the_explorer_model_takes_its_inputs_from_the_sidebar():
    inputs = app.StepInputs("no_opening_2016", "Samarkand").with_parameter("bloc_pull", 0.9)
    model = app.Explorer(inputs=inputs)
    assert (model.casim_scenario.name, model.seed_text, model.params.bloc_pull) == ("no_opening_2016", "Samarkand", 0.9)
    assert model.inputs == inputs

    class Holder:  # what the page passes: a reactive whose value is read when Mesa's Reset builds the model
        value = inputs.with_parameter("bloc_pull", None)

    again = app.Explorer(inputs=Holder(), scenario=object())
    assert again.params.bloc_pull == parameter_specs()["bloc_pull"].default  # exactly, not a slider step
    assert again.inputs == Holder.value


def test_the_reset_note_names_what_changed():
    model = app.Explorer(inputs=app.StepInputs())
    assert app.reset_note(model, app.StepInputs()) == ""
    changed = app.StepInputs("no_opening_2016", "7").with_parameter("deal_threshold", 0.5)
    note = app.reset_note(model, changed)
    assert "press Reset" in note
    assert all(part in note for part in ("scenario no_opening_2016", "seed '7'", "deal_threshold 0.5"))
    back = app.Explorer(inputs=changed)
    assert "deal_threshold back to its default" in app.reset_note(back, changed.with_parameter("deal_threshold", None))


def test_stepping_sliders_are_fine_enough_not_to_round_the_posterior_point_away():
    specs = parameter_specs()
    assert len(app.KEY_PARAMETERS) >= 6
    assert {specs[name].factor for name in app.KEY_PARAMETERS} >= {"water", "territory", "economy"}
    for name in app.KEY_PARAMETERS:
        spec = specs[name]
        step = app.slider_step(name)
        assert (spec.max - spec.min) / 10_000 < step <= (spec.max - spec.min) / 1000
        nearest = spec.min + round((spec.default - spec.min) / step) * step  # where a moved slider can land
        assert abs(nearest - spec.default) <= (spec.max - spec.min) / 2000


def test_parameter_table_lists_unit_range_default_and_source():
    model = app.Explorer(bloc_pull=0.9)
    specs = parameter_specs()
    rows = {row["parameter"]: row for row in app.parameter_rows(model)}
    assert list(rows) == list(app.KEY_PARAMETERS)
    for name, row in rows.items():
        spec = specs[name]
        assert (row["unit"], row["range"], row["source"]) == (spec.unit, f"{spec.min:g} to {spec.max:g}", spec.source)
        assert row["default"] == f"{spec.default:.6g}" and row["what it does"] == spec.description
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
    assert all(ax.get_ylim() == (0.0, 1.0) for ax in index.axes)  # fixed: they do not jump while stepping
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


def _text(rc, class_: str) -> list[str]:
    import ipyvuetify as v

    return [text for widget in rc.find(v.Html, class_=class_).widgets for text in widget.children]


def _html(rc, class_: str | None = None) -> list[str]:
    """The HTML blocks (of the given class) on the page."""
    import solara.widgets

    return [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
            if class_ is None or class_ in w.attributes.get("class", "").split()]


def _slider(rc, name: str):
    import ipyvuetify as v

    return next(w for w in rc.find(v.Slider).widgets if w.label.startswith(f"{name} ["))


def test_the_stepping_page_renders_resets_and_steps_without_a_browser():
    import ipyvuetify as v
    import solara

    _box, rc = solara.render(solara.AppLayout(children=[app.SteppingPage()]), handle_error=False)
    status = rc.find(v.Html, class_="casim-status")
    assert "not started" in status.widget.children[0]
    for _ in range(2):
        rc.find(v.Btn, children=["Step"]).widget.click()
    assert status.widget.children[0].startswith("Year 1992: Regional Integration Index")
    assert _text(rc, "casim-reset casim-reset-status") == []
    _slider(rc, "border_open_bias").fire_event("change", -0.5)  # what the slider sends when let go
    for where in ("status", "card"):
        assert _text(rc, f"casim-reset casim-reset-{where}") == [
            "Inputs changed since the last Reset (border_open_bias -0.5): press Reset to run with them."]
    rc.find(v.Btn, children=["Reset"]).widget.click()  # a new Explorer from the inputs (Mesa 3.3 and 3.5 differ)
    assert "not started" in status.widget.children[0]
    assert _text(rc, "casim-reset casim-reset-status") == []
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert status.widget.children[0].startswith("Year 1991: Regional Integration Index")
    assert "<td>border_open_bias</td><td>-0.5</td>" in "".join(_html(rc))  # the parameter table
    rc.find(v.Btn, children=["default"]).widget.click()  # back to the exact posterior point
    assert "border_open_bias back to its default" in _text(rc, "casim-reset casim-reset-status")[0]
    rc.close()


def test_two_sessions_have_two_models():
    import ipyvuetify as v
    import solara

    _a, first = solara.render(solara.AppLayout(children=[app.SteppingPage()]), handle_error=False)
    _b, second = solara.render(solara.AppLayout(children=[app.SteppingPage()]), handle_error=False)
    first.find(v.Btn, children=["Step"]).widget.click()
    assert first.find(v.Html, class_="casim-status").widget.children[0].startswith("Year 1991:")
    assert "not started" in second.find(v.Html, class_="casim-status").widget.children[0]
    first.close()
    second.close()


def test_the_ensemble_page_reruns_on_every_change_without_a_browser():
    import ipyvuetify as v
    import ipywidgets
    import solara

    _box, rc = solara.render(solara.AppLayout(children=[app.EnsemblePage()]), handle_error=False)

    def image() -> bytes:
        return rc.find(ipywidgets.Image).widget.value

    first, before = _html(rc, "casim-readout")[0], image()
    assert "casim-readout-2030" in first and "the same runs" in first
    assert "narrative patterns hold in at least 80% of the runs" in "".join(_html(rc))
    _slider(rc, "border_open_bias").fire_event("change", -0.6)
    moved = _html(rc, "casim-readout")[0]
    assert moved != first and "reference baseline: 2030" in moved
    assert image() != before
    assert _text(rc, "casim-small casim-timing")[0].startswith("redrawn in ")
    rc.find(v.Btn, children=["posterior"]).widget.click()  # the slider back to each run's own draw
    assert _html(rc, "casim-readout")[0] == first

    # A browser can send values the controls do not offer: another file, a huge run count, out of range.
    rc.find(v.Select, label="Scenario (scenarios/*.toml)").widget.v_model = "../pyproject"
    rc.find(v.Select, label=f"Runs ({ev.SEEDS_PER_DRAW} seeds per posterior draw)").widget.v_model = 10**7
    assert _html(rc, "casim-readout")[0] == first  # still the baseline, 40 runs
    _slider(rc, "bloc_pull").fire_event("change", 7.0)
    errors = [w.children for w in rc.find(v.Alert).widgets]
    assert any("bloc_pull=7.0 outside its range" in str(children) for children in errors), errors
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


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a browser Playwright downloads)."""
    try:
        from playwright.sync_api import Error, expect, sync_playwright
    except ImportError:
        pytest.skip("no browser: Playwright for Python is not installed (pip install -e '.[dev]')")
    # A step redraws three figures: on two busy cores that can take longer than expect's 5 s.
    expect.set_options(timeout=STEP_TIMEOUT_MS)
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


@pytest.fixture(scope="module")
def explorer_url(tmp_path_factory):
    """``sim.views.app.launch`` (what ``casim app`` runs) serving on a free port for this module's tests."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("explorer") / "server.log"
    # Any asset the server would fetch from a CDN fails instead (solara proxies /_solara/cdn/).
    env = {**os.environ, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/"}
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen([sys.executable, "-c", f"import sys, sim.views.app; sys.exit(sim.views.app.launch(port={port}))"],
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


class Offline:
    """Pages that may only talk to this machine: every other request is refused and recorded."""

    def __init__(self, browser):
        self.browser, self.outside, self.failed, self.contexts = browser, [], [], []

    def page(self, url: str, **context):
        ctx = self.browser.new_context(viewport={"width": 1500, "height": 1300}, **context)
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.route("**/*", self._local_only)
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url}: {r.status}"))
        page.goto(url, timeout=60_000)
        return page

    def _failed(self, request):
        if "/_solara/api/close/" not in request.url:  # solara's goodbye when a page is left: cut short, harmless
            self.failed.append(f"{request.url}: {request.failure}")

    def _local_only(self, route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:  # a CDN or anything else on the internet: refuse, and fail below
            self.outside.append(url)
            route.abort()

    def check(self) -> None:
        for ctx in self.contexts:
            ctx.close()
        assert not self.outside, f"the page asked for addresses outside this machine (a CDN?): {self.outside}"
        assert not self.failed, f"requests failed: {self.failed}"


@pytest.fixture
def offline(browser):
    pages = Offline(browser)
    yield pages
    pages.check()


def _screenshot(page, name: str, tmp_path: Path) -> None:
    """Save a screenshot in tmp_path, and in $CASIM_SCREENSHOTS (e.g. docs) when set."""
    page.mouse.move(0, 0)
    page.evaluate("""() => {
        document.activeElement && document.activeElement.blur();  // no slider's value bubble
        document.querySelectorAll('.v-navigation-drawer__content').forEach(e => { e.scrollTop = 0; });
    }""")
    paths = [tmp_path / name]
    if os.environ.get("CASIM_SCREENSHOTS"):
        paths.append(Path(os.environ["CASIM_SCREENSHOTS"]) / name)
    for path in paths:
        page.screenshot(path=str(path))
    assert paths[0].stat().st_size > 10_000
    print(f"screenshot {' and '.join(map(str, paths))}")


def _image(page, locator, attempts: int = 5) -> bytes:
    """An image as shown, once its newest version has loaded.

    The page may replace the image element after its text has changed (a later redraw of the same figure);
    a screenshot of the replaced element then fails with "not attached", so look the element up again.
    """
    from playwright.sync_api import Error as PlaywrightError

    def shown() -> bytes:
        time.sleep(0.3)  # the image is sent with the text beside it; let the browser swap it in
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=locator.element_handle())
        return locator.screenshot()

    for _ in range(attempts - 1):
        try:
            return shown()
        except PlaywrightError as error:
            if "not attached" not in str(error):
                raise
    return shown()


def test_stepping_page_in_a_browser(offline, explorer_url, tmp_path):
    """Open /step offline; step, move a slider (a note asks for Reset), reset and step: the curves move;
    play; a text seed."""
    from playwright.sync_api import expect

    started = time.monotonic()
    page = offline.page(explorer_url + app.STEP_PATH)
    status = page.locator(".casim-status")
    expect(status).to_contain_text("not started", timeout=60_000)
    print(f"page rendered after {time.monotonic() - started:.1f} s")
    index_image = page.locator(".vue-grid-item", has=status).locator("img").first
    reset_note = page.locator(".casim-reset-status")
    buttons = {name: page.get_by_role("button", name=name, exact=True) for name in ("Step", "Reset", "▶")}
    years_per_step = 5
    interval = page.get_by_role("slider", name="Render Interval (steps)")  # Mesa's: years per click of Step
    interval.focus()
    for _ in range(2):
        interval.press("ArrowRight")  # 1 -> 3 -> 5
    assert interval.get_attribute("aria-valuenow") == str(years_per_step)

    def run_to(last: int, *, first: int = 1990) -> bytes:
        for year in range(first + years_per_step, last + 1, years_per_step):
            buttons["Step"].click()
            expect(status).to_contain_text(f"Year {year}:")
        return _image(page, index_image)

    def reset() -> None:
        buttons["Reset"].click()
        expect(status).to_contain_text("not started")
        expect(reset_note).to_have_count(0)

    empty = _image(page, index_image)
    default_2000 = run_to(2000)
    default_status = status.inner_text()
    assert default_2000 != empty, "the index plot did not change when the model stepped"

    slider = page.get_by_role("slider", name=re.compile(r"^border_open_bias"))
    old_value = float(slider.get_attribute("aria-valuenow"))
    point = parameter_specs()["border_open_bias"].default
    assert abs(old_value - point) <= app.slider_step("border_open_bias") / 2  # the slider shows it to its step,
    row = page.locator(".casim-table tr", has_text="border_open_bias")  # the model uses it exactly
    expect(row).to_contain_text(f"{point:.6g}")
    expect(page.get_by_text(f"default {point:.6g} (posterior point, exact)")).to_have_count(1)
    spec = parameter_specs()["border_open_bias"]
    # toward the far end of the range, so that two presses always have room, wherever the posterior point lies
    key = "PageDown" if old_value - spec.min > spec.max - old_value else "PageUp"
    for _ in range(2):  # a tenth of the range each; on a busy machine the page may redraw the slider between
        before = slider.get_attribute("aria-valuenow")  # presses, so focus it again and wait for each
        slider.focus()
        slider.press(key)
        expect(slider).not_to_have_attribute("aria-valuenow", before)
    new_value = float(slider.get_attribute("aria-valuenow"))
    assert abs(new_value - old_value) > 0.3, (old_value, new_value)
    expect(reset_note).to_contain_text("press Reset")
    expect(reset_note).to_contain_text(f"border_open_bias {new_value:.4g}")
    reset()
    changed_2000 = run_to(2000)
    assert status.inner_text() != default_status, "moving border_open_bias did not change the integration index"
    assert changed_2000 != default_2000, "moving border_open_bias did not change the index plot"
    expect(row).to_contain_text(f"{new_value:.6g}")
    print(f"stepped, moved a slider, reset and stepped after {time.monotonic() - started:.1f} s")

    run_to(2020, first=2000)
    _image(page, index_image)
    _screenshot(page, "explorer.png", tmp_path)

    buttons["▶"].click()
    expect(status).to_contain_text("Year 2050:", timeout=60_000)  # plays to the end of the scenario

    seed = page.get_by_label(re.compile(r"^Seed"))
    seed.fill("Samarkand; __import__('os').system('touch /tmp/casim-pwned')")
    seed.press("Enter")
    expect(reset_note).to_contain_text("seed 'Samarkand; __import__...'")
    reset()
    run_to(1995)
    assert not Path("/tmp/casim-pwned").exists()
    expect(page.get_by_text(re.compile("error in"))).to_have_count(0)
    print(f"stepping page done after {time.monotonic() - started:.1f} s")


def test_moving_a_slider_moves_the_bands_in_a_browser(offline, explorer_url, tmp_path):
    """Open the ensemble page offline; a slider moved with the keyboard reruns the runs and redraws the bands;
    its posterior button undoes it; another scenario shows its own events."""
    from playwright.sync_api import expect

    started = time.monotonic()
    page = offline.page(explorer_url)
    median_2030 = page.locator(".casim-readout-2030")
    expect(median_2030).to_have_count(1, timeout=60_000)
    print(f"ensemble page rendered after {time.monotonic() - started:.1f} s")
    figure = page.locator(".casim-figure img")
    before_text, before_image = median_2030.inner_text(), _image(page, figure)

    slider = page.get_by_role("slider", name=re.compile(r"^border_open_bias"))
    slider.focus()
    slider.press("PageDown")
    expect(median_2030).not_to_have_text(before_text)
    print(page.locator(".casim-timing").inner_text())  # benchmarks/explorer_redraw.py measures it properly
    assert _image(page, figure) != before_image, "moving border_open_bias did not change the bands"
    value = float(slider.get_attribute("aria-valuenow"))
    expect(page.locator(".casim-set")).to_have_text(f"{value:.4g}")
    expect(page.locator(".casim-readout")).to_contain_text("reference baseline: 2030")
    expect(page.locator(".casim-timing")).to_contain_text("redrawn in")
    expect(page.locator(".casim-patterns tbody tr")).to_have_count(len(ev.patterns().patterns))

    slider.press("PageDown")
    expect(median_2030).not_to_have_text(before_text)
    _image(page, figure)
    _screenshot(page, "explorer_ensemble.png", tmp_path)

    page.locator(".casim-unset-border_open_bias").click()  # back to each run's own posterior draw
    expect(median_2030).to_have_text(before_text)
    expect(page.locator(".casim-set")).to_have_count(0)

    page.get_by_label("Scenario (scenarios/*.toml)").click(force=True)
    page.get_by_role("option", name="no_opening_2016").click()
    expect(page.locator(".casim-events .casim-own")).to_have_text(["UZB: new leader, same disposition"])
    expect(median_2030).not_to_have_text(before_text)
    expect(page.get_by_text(re.compile("Could not run"))).to_have_count(0)
    print(f"ensemble page done after {time.monotonic() - started:.1f} s")


def test_two_browser_contexts_do_not_share_state(offline, explorer_url):
    """Two visitors (two browser contexts): stepping or moving a slider in one leaves the other as it was."""
    from playwright.sync_api import expect

    def opened(page) -> None:
        status = page.locator(".casim-status")
        expect(status).to_contain_text("not started", timeout=60_000)
        _image(page, page.locator(".vue-grid-item", has=status).locator("img").first)  # rendered in full

    first = offline.page(explorer_url + app.STEP_PATH)
    second = offline.page(explorer_url + app.STEP_PATH)
    for page in (first, second):
        opened(page)
    first.get_by_role("button", name="Step", exact=True).click()
    expect(first.locator(".casim-status")).to_contain_text("Year 1991:")
    second.goto(explorer_url + app.STEP_PATH)  # a model shared between sessions would now open at 1991
    opened(second)
    second.get_by_role("button", name="Step", exact=True).click()
    first.get_by_role("button", name="Step", exact=True).click()
    expect(second.locator(".casim-status")).to_contain_text("Year 1991:")
    expect(first.locator(".casim-status")).to_contain_text("Year 1992:")

    first.goto(explorer_url)
    median = first.locator(".casim-readout-2030")
    expect(median).to_have_count(1, timeout=60_000)
    posterior_text = median.inner_text()
    slider = first.get_by_role("slider", name=re.compile(r"^bloc_pull"))
    # Three tenths of the range toward the far end (the posterior's value may sit at either
    # end): a step or two can move the 2030 median by less than the readout's last digit.
    low, high, now = (float(slider.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax", "aria-valuenow"))
    key = "PageDown" if now - low > high - now else "PageUp"
    for _ in range(3):
        before = slider.get_attribute("aria-valuenow")
        slider.focus()
        slider.press(key)
        expect(slider).not_to_have_attribute("aria-valuenow", before)
    expect(median).not_to_have_text(posterior_text)
    second.goto(explorer_url)
    expect(second.locator(".casim-readout-2030")).to_have_text(posterior_text, timeout=60_000)
    expect(second.locator(".casim-set")).to_have_count(0)
