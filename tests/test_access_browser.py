"""The app's access key in a real Chromium (issue 25), against `coach app` listening on every
address with a history that holds a session; the test only ever connects to 127.0.0.1. Without
the key no page shows any stored data; with it every page works and the browser remembers it.
On the same app: names shown as text, not Markdown; a bad session number in the address; and
the cap on what one page may hold in uploads, with real uploads. Screenshots in out/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import ROOT, free_port, missing, start_app, stop_app, wait_healthy

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
expect.set_options(timeout=60_000)  # a loaded machine starts a page slowly

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "out" / "screenshots"
PASSWORD = "let-me-in-42"
PERSON = "Quentin"
SESSION = "Tuesday curls"
MAX_UPLOAD_MB = 60  # each file; a page may hold twice that at once
PAGES = ["", "workout", "analyse", "history", "exercises"]


def markdown_name(port: int, what: str, link: bool = True) -> str:
    """A name that, read as Markdown, shows an image fetched from this app (and a link)."""
    return f"{what} ![x](http://127.0.0.1:{port}/fetched-{what}.png)" + (f" [a](/link-{what})" if link else "") + " **b**"


@pytest.fixture(scope="module")
def app(tmp_path_factory, models_dir):
    from coach.store import Store, record
    from test_store import synthetic_session

    home = tmp_path_factory.mktemp("access-app")
    port = free_port()
    with Store.open(home / "coach.db") as store:
        first = record(store, synthetic_session(seed=1)[0], "bicep_curl", PERSON, source="/videos/curls.mp4")
        store.rename_session(first, SESSION)
        marked = record(store, synthetic_session(seed=2)[0], "bicep_curl", markdown_name(port, "person"),
                              source="/videos/other.mp4")
        store.rename_session(marked, markdown_name(port, "session"))
    exercises = home / "exercises"
    exercises.mkdir()
    squat = (ROOT / "exercises" / "squat.yaml").read_text()
    (exercises / "marked.yaml").write_text(squat.replace("id: squat", "id: marked").replace(
        "name: Squat", f"name: '{markdown_name(port, 'ex', link=False)}'")  # names are 60 characters at most
                                           .replace("description: >", "description: >\n  [a](/link-description) **b**"))
    server = start_app(home, port, "--host", "0.0.0.0", COACH_PASSWORD=PASSWORD, COACH_MODEL_DIR=str(models_dir),
                       COACH_MAX_UPLOAD_MB=str(MAX_UPLOAD_MB))
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, server, home / "app.log", key=PASSWORD)
    yield {"url": url, "port": port, "server": server, "first": first, "marked": marked}
    stop_app(server)


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is missing: `make system-deps` installs it")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A page of a browser profile of its own: no cookie from another test."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def let_in(page, app):
    page.goto(f"{app['url']}/?key={PASSWORD}")
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
    assert page.url == f"{app['url']}/"  # the key is not left in the address bar


def shown(page, app, path: str):
    page.goto(f"{app['url']}/{path}")
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
    settle(page)


def settle(page):
    """Until the run the last action started has finished."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def test_without_the_key_no_page_shows_any_stored_data(page, app):
    for path in [*PAGES, f"history?session={app['first']}"]:
        page.goto(f"{app['url']}/{path}")
        expect(page.get_by_role("heading", name="Access key needed")).to_be_visible()
        page.wait_for_timeout(500)  # anything the page might still load
        assert PERSON not in page.content() and SESSION not in page.content()
    page.goto(f"{app['url']}/history?key=not-the-key")
    expect(page.get_by_role("heading", name="Wrong access key")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "access-wrong-key.png")


def test_with_the_key_every_page_works_and_the_browser_remembers_it(page, app):
    let_in(page, app)
    shown(page, app, "history")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible()
    shown(page, app, f"history?session={app['first']}")
    expect(page.get_by_text(f"{PERSON} · ", exact=False)).to_be_visible()  # the caption: the person, the date...
    expect(page.get_by_text(SESSION, exact=False).first).to_be_visible()
    again = page.context.new_page()  # a new tab, no key: the cookie is enough
    shown(again, app, "exercises")
    expect(again.get_by_role("heading", name="Library")).to_be_visible()


def test_names_are_shown_as_text_not_markdown(page, app):
    fetched = []
    page.on("request", lambda request: "fetched-" in request.url and fetched.append(request.url))
    let_in(page, app)
    for path in [*PAGES, f"history?session={app['marked']}"]:
        shown(page, app, path)
        assert page.locator("a[href*='/link-'], a[href*='fetched-']").count() == 0  # no link, written or found
    # The session page's title and caption hold the exercise, person and session names as typed.
    caption = page.get_by_text("person ![x](", exact=False)
    expect(caption).to_be_visible()
    assert "session ![x](" in caption.inner_text() and "**b**" in caption.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "access-names-as-text.png")
    shown(page, app, "exercises")
    page.get_by_role("combobox", name="Show", exact=True).click()
    page.get_by_role("option", name=re.compile(r"^ex !\[x\]")).click()
    settle(page)
    expect(page.get_by_test_id("stMarkdownContainer").get_by_text("[a](/link-description) **b**")).to_be_visible()
    assert page.locator("a[href*='/link-'], a[href*='fetched-']").count() == 0
    assert fetched == []


def test_a_session_in_the_address_that_is_not_a_number_is_one_line(page, app):
    let_in(page, app)
    for value, said in (("abc", "No session 'abc'"), ("1e999", "No session '1e999'"),
                        (str(2**64), f"No session '{2**64}'"), ("99999", "no session 99999")):
        shown(page, app, f"history?session={value}")
        expect(page.get_by_test_id("stAlert")).to_contain_text(said)
        assert "Traceback" not in page.content() and str(ROOT) not in page.content()
    page.get_by_role("button", name="All sessions").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()


def server_rss_mb(app) -> float:
    """The resident memory of the Streamlit server (the child of `coach app`)."""
    pid = Path(f"/proc/{app['server'].pid}/task/{app['server'].pid}/children").read_text().split()[0]
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


PUT_JS = """async ([url, token, mb]) => {
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(mb * 1048576)]), "more.mp4");
    const answer = await fetch(url, {method: "PUT", body: form, headers: {"X-Xsrftoken": token}});
    return answer.status;
}"""


def test_one_page_holds_two_files_worth_of_uploads_at_most_and_lets_go_of_those_no_widget_shows(page, app, clips_dir):
    """Uploads under new file ids from the page's own session (as a script on it could send
    them): taken while the session holds at most 2 x MAX_UPLOAD_MB, then refused (413) before
    the body is read; the page's runs free those its uploader does not show."""
    let_in(page, app)
    shown(page, app, "analyse")
    with page.expect_request(lambda r: "/_stcore/upload_file/" in r.url and r.method == "PUT") as sent:
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(clips_dir / "squat_side_3.mp4"))
    settle(page)
    upload = sent.value
    base, token = upload.url.rsplit("/", 1)[0], upload.headers["x-xsrftoken"]
    size = MAX_UPLOAD_MB - 10
    before = server_rss_mb(app)
    statuses = [page.evaluate(PUT_JS, [f"{base}/extra-{i}", token, size]) for i in range(3)]
    held = server_rss_mb(app)
    assert statuses == [204, 204, 413]  # the clip and two more; a third would pass 2 x MAX_UPLOAD_MB
    # Runs of the page free them (a file goes when a second run finds it stray). A run may start
    # after settle() has looked, so the page is run again until the server takes a new upload.
    for run, model in enumerate(["^Thunder", "^Lightning \\(", "^Thunder", "^Lightning \\("]):
        page.get_by_role("combobox", name="Pose model", exact=True).click()
        page.get_by_role("option", name=re.compile(model)).click()
        settle(page)
        after = server_rss_mb(app)
        if run and page.evaluate(PUT_JS, [f"{base}/extra-3", token, size]) == 204:
            break
    else:
        pytest.fail("the uploads no widget shows were not freed by four runs of the page")
    expect(page.get_by_text("squat_side_3.mp4", exact=False).first).to_be_visible()  # the shown one was not
    print(f"\nserver RSS: {before:.0f} MB before, {held:.0f} MB holding two {size} MB uploads beside the clip "
          f"(a third refused), {after:.0f} MB after the page's runs freed them")
