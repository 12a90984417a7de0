"""Headless Chromium driven over the DevTools protocol: a page as a person's browser loads it.

A minimal client over `websockets` (already installed with uvicorn[standard]) rather than
playwright: the system's Chromium, no browser download, no driver process, and only the handful
of commands the tests need. `Page.open` records what a person would not see but should never
happen: every request the page sends, console errors and exceptions, and the browser's own log
(where refused styles or blocked loads of the Content-Security-Policy appear).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import websockets

NAMES = ("chromium", "chromium-browser", "google-chrome")
MISSING = ("no Chromium on PATH (chromium, chromium-browser or google-chrome): install Debian's package `chromium` "
           "(`apt-get install chromium`; .ci/run does when it can) to run the browser tests")


def executable() -> str | None:
    return next((found for name in NAMES if (found := shutil.which(name))), None)


@dataclass
class Page:
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    session: str = ""


class Browser:
    def __init__(self, socket):
        self.socket = socket
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future] = {}
        self.pages: dict[str, Page] = {}
        self.loaded: dict[str, asyncio.Event] = {}
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for message in self.socket:
            event = orjson.loads(message)
            if "id" in event:
                future = self.waiting.pop(event["id"])
                if "error" in event:
                    future.set_exception(RuntimeError(f"DevTools: {event['error']}"))
                else:
                    future.set_result(event.get("result", {}))
                continue
            page = self.pages.get(event.get("sessionId", ""))
            if page is not None:
                self.note(page, event["method"], event["params"])

    def note(self, page: Page, method: str, params: dict) -> None:
        if method == "Network.requestWillBeSent":
            page.requests.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            page.errors.append(f"console: {params['args']}")
        elif method == "Runtime.exceptionThrown":
            page.errors.append(f"exception: {params['exceptionDetails']}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            page.errors.append(f"log: {params['entry']['text']}")
        elif method == "Page.loadEventFired":
            self.loaded[page.session].set()

    async def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        message_id = next(self.ids)
        self.waiting[message_id] = asyncio.get_running_loop().create_future()
        message = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self.socket.send(orjson.dumps(message).decode())
        return await asyncio.wait_for(self.waiting[message_id], 30)

    async def open(self, url: str, headers: dict | None = None) -> Page:
        """A new tab that has loaded `url` (sending `headers` with every request)."""
        target = (await self.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
        session = (await self.send("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        page = self.pages[session] = Page(url, session=session)
        self.loaded[session] = asyncio.Event()
        for domain in ("Page", "Runtime", "Log", "Network"):
            await self.send(f"{domain}.enable", session=session)
        if headers:
            await self.send("Network.setExtraHTTPHeaders", {"headers": headers}, session)
        await self.send("Page.navigate", {"url": url}, session)
        await asyncio.wait_for(self.loaded[session].wait(), 30)
        return page

    async def evaluate(self, page: Page, expression: str):
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, page.session)
        return result["result"].get("value")

    async def screenshot(self, page: Page) -> bytes:
        """The whole page as a PNG."""
        shot = await self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, page.session)
        return base64.b64decode(shot["data"])


async def devtools_url(profile: Path, process: asyncio.subprocess.Process) -> str:
    """The browser's DevTools address, from the file Chromium writes once it listens."""
    port_file = profile / "DevToolsActivePort"
    for _ in range(300):
        if port_file.exists() and len(lines := port_file.read_text().split()) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        if process.returncode is not None:
            raise RuntimeError(f"Chromium exited with {process.returncode} before listening")
        await asyncio.sleep(0.1)
    raise RuntimeError("Chromium did not open its DevTools port within 30 s")


@asynccontextmanager
async def chromium(path: str):
    """A headless Chromium with a fresh profile, stopped (and the profile removed) afterwards.

    Chromium's helpers (renderers, the crash handler) outlive the browser process by a moment and
    keep writing to the profile, so the browser runs in its own process group, the whole group is
    stopped, and only then is the profile removed. Its temporary files go into the profile too.
    """
    profile = tempfile.mkdtemp(prefix="fcio-chromium-")
    flags = ["--headless=new", "--remote-debugging-port=0", f"--user-data-dir={profile}", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
             "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
             "--disable-breakpad", "--window-size=1024,900", "about:blank"]
    if os.geteuid() == 0:
        flags.insert(0, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    process = await asyncio.create_subprocess_exec(path, *flags, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL, start_new_session=True,
                                                   env={**os.environ, "TMPDIR": profile})
    try:
        async with websockets.connect(await devtools_url(Path(profile), process), max_size=64 * 2**20) as socket:
            browser = Browser(socket)
            try:
                yield browser
            finally:
                browser.reader.cancel()
    finally:
        await stop_group(process)
        await remove_profile(profile)


async def stop_group(process: asyncio.subprocess.Process) -> None:
    """Stop the browser politely (10 s), then every process of its group that is still there."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), 10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # helpers still going, or a browser that ignored SIGTERM
    await process.wait()


async def remove_profile(profile: str) -> None:
    """Remove the profile, retrying while a dying helper still writes into it."""
    for _ in range(20):
        try:
            shutil.rmtree(profile)
            return
        except FileNotFoundError:
            return
        except OSError:
            await asyncio.sleep(0.25)
    shutil.rmtree(profile)
