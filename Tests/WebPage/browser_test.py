#!/usr/bin/env python3
"""Drives dipd's web page in headless Chromium (Debian's chromium and chromium-driver,
Selenium from PyPI) against a running dipd, as a user would: submit a denoising job and
follow it to its result, paint a mask and submit an inpainting job, submit a text file
as the image and read the service's error on the page. Checks that the page logs no
console errors and requests nothing outside the service's origin.

    browser_test.py --base http://127.0.0.1:8080 [--keyed-base URL --key KEY] [--screenshots docs/web]

Prints `inpaint job <id>` so that the caller can look at the stored mask. Exits 0 when
every check passes, 1 with the failures listed otherwise.
"""
import argparse
import base64
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

SMALL_NETWORK = '{"channels_down":[8,8,8,8,8],"channels_up":[8,8,8,8,8],"channels_skip":[4,4,4,4,4]}'
failures = []


def check(condition, what):
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


def png(width, height, pixel):
    """An 8-bit RGB PNG; pixel(x, y) gives (r, g, b)."""
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def noisy_picture(size):
    """A disc on a gradient with deterministic noise: something to denoise."""
    state = [12345]

    def noise():
        state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
        return (state[0] >> 16) % 61 - 30

    def pixel(x, y):
        inside = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2
        base = (200, 60, 40) if inside else (40 + 4 * x % 160, 90 + 2 * y % 120, 180)
        return tuple(max(0, min(255, c + noise())) for c in base)

    return png(size, size, pixel)


def tool(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/lib/chromium")
    if not path:
        sys.exit(f"browser_test: {name} not found (scripts/setup installs chromium and chromium-driver)")
    return path


def start_browser(width, height):
    options = Options()
    options.binary_location = tool("chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--hide-scrollbars"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # The driver is Debian's; Selenium must not look for one to download.
    return webdriver.Chrome(options=options, service=Service(executable_path=tool("chromedriver")))


class Page:
    def __init__(self, driver, base):
        self.d, self.base = driver, base.rstrip("/") + "/"
        self.console = []
        self.requests = []

    def by(self, testid):
        return self.d.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def wait(self, condition, timeout=30, what="condition"):
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.05).until(lambda _: condition())
        except Exception:
            check(False, f"waited {timeout} s for {what}")
            raise

    def drain_logs(self):
        """Console messages and the URLs the page requested, since the last call."""
        self.console += self.d.get_log("browser")
        for entry in self.d.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])

    def errors(self):
        self.drain_logs()
        return [m for m in self.console if m["level"] == "SEVERE"]

    def new_job_form(self):
        self.d.get(self.base + "#/")
        self.wait(lambda: self.by("submit").is_displayed(), what="the submit form")

    def advanced(self, **fields):
        details = self.d.find_element(By.ID, "advanced")
        if not details.get_attribute("open"):
            details.find_element(By.TAG_NAME, "summary").click()
        for testid, value in fields.items():
            element = self.by(testid)
            if element.tag_name == "select":
                Select(element).select_by_value(value)
            else:
                element.clear()
                element.send_keys(value)

    def state(self):
        return self.by("job-state").text


def denoise_job(page, image, iterations, every, shots):
    page.new_job_form()
    page.by("image-input").send_keys(image)
    Select(page.by("task-select")).select_by_value("denoise")
    check(page.by("preset-select").is_displayed() and
          Select(page.by("preset-select")).first_selected_option.get_attribute("value") == "balanced",
          "denoise shows the preset select, balanced by default")
    check(not page.by("mask-canvas").is_displayed(), "denoise shows no mask painter")
    page.advanced(iterations=str(iterations), **{"snapshot-every": str(every), "seed": "1", "auto-stop": "false",
                                                 "network": SMALL_NETWORK})
    page.wait(lambda: page.by("image-input").get_attribute("value"), what="the chosen image")
    if shots:
        page.d.execute_script("window.scrollTo(0, 0)")
        page.d.save_screenshot(os.path.join(shots, "submit.png"))
    page.by("submit").click()
    page.wait(lambda: "#/jobs/" in page.d.current_url, what="the job's page after submitting")
    job_id = page.by("job-id").text
    check(len(job_id) == 26, f"the job's page names the job ({job_id})")

    # A snapshot that arrived over the event stream while the job was still running.
    live = False
    deadline = time.time() + 60
    while time.time() < deadline:
        state = page.state()
        image_shown = page.by("snapshot-image").is_displayed()
        arrived = int(page.by("snapshot-image").get_attribute("data-live") or 0)
        if image_shown and arrived >= 1 and state == "running":
            live = True
            if shots:
                time.sleep(0.6)  # let the chart gather a few points
                page.d.execute_script("window.scrollTo(0, 0)")
                page.d.save_screenshot(os.path.join(shots, "running.png"))
            break
        if state in ("succeeded", "failed", "canceled"):
            break
        time.sleep(0.05)
    check(live, "a live snapshot is shown while the job runs")
    check(page.by("progress").get_attribute("value") not in (None, "0"), "the progress bar moves")
    page.wait(lambda: page.state() in ("succeeded", "failed", "canceled"), timeout=90, what="the job to finish")
    check(page.state() == "succeeded", f"the job succeeded ({page.state()})")
    check(f"iteration {iterations} of {iterations}" in page.by("job-figures").text, "the figures show the last iteration")
    page.wait(lambda: page.by("result-link").is_displayed(), what="the before/after view")

    # The chart drew both curves.
    colours = page.d.execute_script("""
        const c = document.getElementById('chart'), g = c.getContext('2d');
        const d = g.getImageData(0, 0, c.width, c.height).data; let loss = 0, psnr = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i] === 194 && d[i+1] === 65 && d[i+2] === 12) loss++;
          if (d[i] === 11 && d[i+1] === 92 && d[i+2] === 173) psnr++;
        }
        return [loss, psnr];""")
    check(colours[0] > 20 and colours[1] > 20, f"the chart shows the loss and the PSNR ({colours})")

    # The result downloads as a PNG of the input's size.
    href = page.by("result-link").get_attribute("href")
    check(href.startswith("blob:") and page.by("result-link").get_attribute("download").endswith(".png"),
          "the result link downloads a file")
    # Clicked as a user would: the browser saves it into the download folder.
    page.d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": page.downloads})
    page.by("result-link").click()
    saved = os.path.join(page.downloads, f"{job_id}-result.png")
    # Chrome may create the file before it has written it: wait for it whole, no partial download left.
    def downloaded():
        partial = any(n.endswith(".crdownload") for n in os.listdir(page.downloads))
        return os.path.exists(saved) and os.path.getsize(saved) >= 8 and not partial
    page.wait(downloaded, what="the downloaded result")
    with open(saved, "rb") as f:
        result = f.read()
    check(result[:8] == b"\x89PNG\r\n\x1a\n", "the downloaded result is a PNG")
    check(struct.unpack(">II", result[16:24]) == (page.size, page.size), "the result has the input's size")

    # Scrub back to the first snapshot with the keyboard. The download click above leaves
    # the focus on the link: bring the slider into view and focus it first, as a user
    # tabbing to it would.
    slider = page.by("snapshot-slider")
    page.d.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", slider)
    slider.send_keys(Keys.HOME)
    page.wait(lambda: page.by("snapshot-image").get_attribute("data-iteration") == str(every),
              what="the first snapshot after scrubbing back")
    check(page.by("snapshot-link").get_attribute("href").startswith("blob:"), "a snapshot can be downloaded")

    # Before/after: the divider moves with the keyboard.
    compare = page.by("compare-slider")
    compare.send_keys(Keys.HOME)
    clip = page.d.execute_script("return document.getElementById('compare-after').style.clipPath")
    check(clip == "inset(0px 100% 0px 0px)" or clip == "inset(0 100% 0 0)", f"the divider moves ({clip})")
    compare.send_keys(Keys.END)
    for _ in range(30):
        compare.send_keys(Keys.ARROW_LEFT)
    if shots:
        page.d.execute_script("document.getElementById('compare').scrollIntoView()")
        page.d.save_screenshot(os.path.join(shots, "compare.png"))
    return job_id


def inpaint_job(page, image):
    page.new_job_form()
    page.by("image-input").send_keys(image)
    Select(page.by("task-select")).select_by_value("inpaint")
    check(page.by("setup-select").is_displayed(), "inpaint shows the setup select")
    canvas = page.by("mask-canvas")
    page.wait(lambda: canvas.get_attribute("width") == str(page.size), what="the mask canvas at the image's size")
    page.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    box = canvas.rect
    ActionChains(page.d).move_to_element_with_offset(canvas, int(-box["width"] * 0.3), 0).click_and_hold() \
        .move_by_offset(int(box["width"] * 0.6), 0).move_by_offset(0, int(box["height"] * 0.2)).release().perform()
    dark = page.d.execute_script("""
        const c = document.getElementById('mask-canvas'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] + d[i+1] + d[i+2] === 0) n++; return n;""")
    check(dark > 10, f"the brush paints holes on the canvas ({dark} pixels)")
    # Long enough that the cancel below finds it running.
    page.advanced(iterations="5000", **{"snapshot-every": "100", "network": SMALL_NETWORK})
    page.by("submit").click()
    page.wait(lambda: "#/jobs/" in page.d.current_url, what="the inpainting job's page")
    job_id = page.by("job-id").text
    check(page.by("job-task").text == "inpaint", "the inpainting job was accepted")
    print(f"inpaint job {job_id}", flush=True)
    page.wait(lambda: page.state() == "running", what="the inpainting job to run")
    page.by("cancel").click()
    page.wait(lambda: page.state() in ("canceled", "succeeded", "failed"), what="cancel to take effect")
    check(page.state() == "canceled", f"cancel stops the running job ({page.state()})")
    check(not page.by("cancel").is_enabled(), "a finished job cannot be canceled again")


def tiled_job(page, image):
    """A 100×100 image with the service's 64-pixel tiles (the caller starts it so): the job page
    draws the 2 × 2 tile grid, which fills in, and shows the image blended from the tiles."""
    page.new_job_form()
    page.by("image-input").send_keys(image)
    Select(page.by("task-select")).select_by_value("denoise")
    page.advanced(iterations="30", **{"network": SMALL_NETWORK})
    page.by("submit").click()
    page.wait(lambda: "#/jobs/" in page.d.current_url, what="the tiled job's page")
    grid = page.by("job-tiles")
    page.wait(lambda: grid.is_displayed() and len(grid.find_elements(By.CSS_SELECTOR, "span.tile")) == 4, what="the tile grid")
    page.wait(lambda: page.state() == "succeeded", timeout=120, what="the tiled job to succeed")
    states = [c.get_attribute("class") for c in grid.find_elements(By.CSS_SELECTOR, "span.tile")]
    check(all("tile-succeeded" in s for s in states), f"every tile of the grid shows it succeeded ({states})")
    page.wait(lambda: page.by("snapshot-caption").text.startswith("4 of 4 tiles fitted"), what="the blended image's caption")
    check(page.by("snapshot-image").get_attribute("naturalWidth") == "100", "the blended image is the whole image")


def invalid_image(page, text_file):
    page.new_job_form()
    page.by("image-input").send_keys(text_file)
    Select(page.by("task-select")).select_by_value("denoise")
    page.by("submit").click()
    page.wait(lambda: page.by("error").is_displayed(), what="the error next to the form")
    message = page.by("error").text
    check("image: is not a PNG or JPEG image" in message and "415" in message,
          f"a text file as the image shows the service's error ({message})")
    check(page.by("submit").is_displayed(), "the form stays on the page")


def api_key_prompt(page, key):
    page.d.get(page.base + "#/jobs")
    page.wait(lambda: page.by("api-key").is_displayed(), what="the page to ask for the API key")
    page.by("api-key").send_keys(key)
    page.by("api-key-save").click()
    page.wait(lambda: page.by("jobs-list").is_displayed() and page.by("jobs-list").text != "", what="the job list with the key")
    check(not page.by("notice").is_displayed(), "with the key the job list loads")
    stored = page.d.execute_script("return sessionStorage.getItem('dipd.apiKey')")
    check(stored == key, "the key is kept in session storage")
    page.drain_logs()
    check(not any(key in url for url in page.requests), "the key never appears in a URL")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--keyed-base")
    parser.add_argument("--key")
    parser.add_argument("--screenshots", help="save a PNG of each view into this folder")
    args = parser.parse_args()

    size = 64 if args.screenshots else 32
    work = tempfile.mkdtemp(prefix="dipd-browser-")
    image = os.path.join(work, "noisy.png")
    with open(image, "wb") as f:
        f.write(noisy_picture(size))
    text_file = os.path.join(work, "notes.png")
    with open(text_file, "w") as f:
        f.write("this is text, not an image\n")
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)

    driver = start_browser(1000, 700)
    try:
        page = Page(driver, args.base)
        page.size = size
        page.downloads = work
        page.new_job_form()
        check(driver.title.startswith("dipd"), "the page loads")
        check(page.errors() == [], f"no console errors on load {page.console}")

        iterations, every = (400, 20) if args.screenshots else (240, 20)
        denoise_job(page, image, iterations, every, args.screenshots)
        check(page.errors() == [], f"no console errors while following a job {page.errors()}")

        driver.get(page.base + "#/jobs")
        page.wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, '[data-testid="job-item"]')) >= 1, what="the job list")
        page.wait(lambda: driver.execute_script(
            "return [...document.querySelectorAll('#jobs-list img')].some(i => i.complete && i.naturalWidth > 0)"),
            what="a thumbnail in the job list")

        # A phone-sized screen: nothing wider than the screen.
        driver.set_window_size(390, 800)
        driver.get(page.base + "#/")
        page.wait(lambda: page.by("submit").is_displayed(), what="the form on a phone-sized screen")
        check(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
              "the form fits a phone-sized screen")
        driver.set_window_size(1000, 700)

        inpaint_job(page, image)
        check(page.errors() == [], f"no console errors after the inpainting job {page.errors()}")

        large = os.path.join(work, "large.png")
        with open(large, "wb") as f:
            f.write(noisy_picture(100))
        tiled_job(page, large)
        check(page.errors() == [], f"no console errors after the tiled job {page.errors()}")

        invalid_image(page, text_file)
        page.drain_logs()
        origin = urllib.parse.urlsplit(page.base)[:2]
        foreign = [u for u in page.requests if not u.startswith(("blob:", "data:")) and urllib.parse.urlsplit(u)[:2] != origin]
        check(page.requests and not foreign, f"no request leaves the service's origin ({len(page.requests)} requests; {foreign})")
        check(not any("Content Security Policy" in m["message"] for m in page.console), "nothing breaks the page's CSP")

        if args.keyed_base and args.key:
            keyed = Page(driver, args.keyed_base)
            keyed.size = size
            api_key_prompt(keyed, args.key)
    except Exception as e:  # a wait that failed has been reported already
        check(False, f"the run stopped: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    finally:
        driver.quit()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failure(s)" if failures else "all checks passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
