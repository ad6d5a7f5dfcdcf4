"""``kb serve``: one quiet process that loads the knowledge base before the first visitor and stops,
port and all, on Ctrl-C or SIGTERM. The server runs for real on 127.0.0.1 over the mini mirror (fake
embedder); these tests need no browser."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.mirror import ingest_mirror
from kb.api import KnowledgeBase
from kb.cli.serve import STREAMLIT_OPTIONS, app_page, streamlit_args
from kb.embed import FakeEmbedder
from tests.test_app_browser import _healthy, free_port, wait_for

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built_home(tmp_path_factory) -> Path:
    from tests.fixtures.mini_mirror import write_mirror

    root = tmp_path_factory.mktemp("serve")
    with KnowledgeBase.open(root / "home", embedder=FakeEmbedder(), model="fake") as kb:
        ingest_mirror(kb, write_mirror(root / "mirror"))
    return root / "home"


class Server:
    def __init__(self, proc: subprocess.Popen, port: int, log: Path):
        self.proc, self.port, self.log = proc, port, log

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def serve(built_home, tmp_path) -> Iterator[Server]:
    """`kb serve --no-build` in its own session (so that everything it starts can be found and cleaned up)."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "KB_HOME": str(built_home), "KB_MODEL": "fake"}
    proc = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--no-build", "--port", str(port)], cwd=REPO,
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(proc, port, log)
    try:
        wait_for(lambda: proc.poll() is not None or _healthy(f"{server.base}/_stcore/health"), 90, "kb serve to start")
        assert proc.poll() is None, server.output()
        yield server
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of it
        except ProcessLookupError:
            pass
        proc.wait(10)


def _session_processes(sid: int) -> list[int]:
    """The processes still alive in session ``sid`` (Linux: read from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_stopping_kb_serve_stops_the_server_and_frees_the_port(serve, signum):
    assert _session_processes(serve.proc.pid) == [serve.proc.pid]  # one process: no Streamlit child
    serve.proc.send_signal(signum)
    assert serve.proc.wait(30) == 0, serve.output()
    wait_for(lambda: not _port_open(serve.port), 10, "the port to be free")
    assert _session_processes(serve.proc.pid) == []
    assert "Stopping" in serve.output()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads open files from /proc")
def test_kb_serve_loads_before_the_first_visitor_and_watches_no_files(serve):
    wait_for(lambda: "Ready:" in serve.output(), 60, "the knowledge base to load")  # nobody has visited yet
    out = serve.output()
    assert out.index("Serving on") < out.index("Ready: the model and the data loaded in")
    descriptors = Path(f"/proc/{serve.proc.pid}/fd")
    watchers = [fd for fd in descriptors.iterdir() if "inotify" in os.readlink(fd)]
    assert watchers == [], "Streamlit is watching files"
    time.sleep(1)
    assert "Inotify" not in serve.output() and "Traceback" not in serve.output()


def test_the_streamlit_command_line_serves_without_a_file_watcher():
    args = streamlit_args(app_page(), "127.0.0.1", 8765)
    assert args[:2] == ["run", str(app_page())]
    options = dict(zip(args[2::2], args[3::2], strict=True))
    assert options["--server.fileWatcherType"] == "none" and options["--server.runOnSave"] == "false"
    assert options["--server.port"] == "8765" and options["--server.address"] == "127.0.0.1"
    assert options["--server.headless"] == "true" and set(STREAMLIT_OPTIONS) <= {o[2:] for o in options}
