"""The ``apidouble`` command as users run it: a real process, real output, real signals."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from .conftest import EXAMPLES

APIDOUBLE = [sys.executable, "-m", "apidouble"]


def test_run_prints_url_first_serves_and_stops_gracefully() -> None:
    with subprocess.Popen(
        [*APIDOUBLE, "run", str(EXAMPLES), "--port", "0", "--no-watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline().strip()
            assert first.startswith("apidouble listening on http://127.0.0.1:")
            url = first.rsplit(" ", 1)[1]
            assert httpx.get(url + "/api/users/7").json()["id"] == 7
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
        finally:
            process.kill()


def test_validate_ok() -> None:
    result = subprocess.run([*APIDOUBLE, "validate", str(EXAMPLES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_validate_lists_every_error_with_file_line_and_pointer(
    write_config: Callable[[str, str], Path],
) -> None:
    first = write_config(
        """
        endpoints:
          - name: fine
            path: /ok
          - name: bad-status
            path: /x
            status: "not a number {{"
        """,
        "a.yaml",
    )
    write_config('{"endpoints": [{"path": "/y", "response_file": "../../etc/passwd"}]}', "b.json")
    result = subprocess.run(
        [*APIDOUBLE, "validate", str(first.parent)], capture_output=True, text=True
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any("a.yaml:7" in line and "bad-status" in line for line in lines), lines
    assert any("b.json:1" in line and "/endpoints/0" in line for line in lines), lines
    assert lines[-1] == "2 error(s)"


def test_run_refuses_a_broken_config(write_config: Callable[[str, str], Path]) -> None:
    path = write_config("endpoints: [{path: /x, method: FETCH}]", "apidouble.yaml")
    result = subprocess.run(
        [*APIDOUBLE, "run", str(path), "--port", "0"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "apidouble.yaml:1" in result.stderr


def _serving(args: list[str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [*APIDOUBLE, "run", *args, "--port", "0", "--no-watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process


def test_wiremock_flags_root_dir_and_journal_limits(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    mapping = '{"request": {"method": "GET", "url": "/hi"}, "response": {"body": "hello"}}'
    (tmp_path / "mappings" / "hi.json").write_text(mapping)
    for flags, kept in ((["--no-request-journal"], 0), (["--max-request-journal-entries", "2"], 2)):
        with _serving(["--root-dir", str(tmp_path), "--verbose", *flags]) as process:
            try:
                assert process.stdout is not None
                url = process.stdout.readline().strip().rsplit(" ", 1)[1]
                for _ in range(3):
                    assert httpx.get(url + "/hi").text == "hello"
                logs = httpx.get(url + "/__admin/logs").json()
                assert len(logs["logs"]) == kept
            finally:
                process.kill()
                process.wait(timeout=10)


def test_the_admin_token_can_come_from_the_environment(tmp_path: Path) -> None:
    import os

    (tmp_path / "apidouble.yaml").write_text("endpoints: [{path: /x}]\n")
    env = {**os.environ, "APIDOUBLE_ADMIN_TOKEN": "from-env"}
    with subprocess.Popen(
        [*APIDOUBLE, "run", str(tmp_path), "--port", "0", "--no-watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip().rsplit(" ", 1)[1]
            assert httpx.get(url + "/__admin/mappings").status_code == 401
            bearer = {"Authorization": "Bearer from-env"}
            assert httpx.get(url + "/__admin/mappings", headers=bearer).status_code == 200
        finally:
            process.kill()


def test_only_loopback_hosts_count_as_private() -> None:
    from apidouble.runtime import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("10.1.2.3")
    assert not is_loopback("example.test")


def test_addons_given_on_the_command_line_run_in_order(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.yaml"
    config.write_text("endpoints:\n  - {path: /hi, response: hello}\n")
    for name, tag in (("first.py", "one"), ("second.py", "two")):
        (tmp_path / name).write_text(
            f"def response(flow):\n    flow.response.add_header('X-Order', {tag!r})\n"
        )
    args = [str(config), "--addons", str(tmp_path / "first.py"), "--addons", "second.py"]
    process = subprocess.Popen(
        [*APIDOUBLE, "run", *args, "--port", "0", "--no-watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,  # a relative --addons file is found from the working directory
    )
    with process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip().rsplit(" ", 1)[1]
            answer = httpx.get(url + "/hi")
            assert answer.text == "hello"
            assert answer.headers.get_list("x-order") == ["one", "two"]
        finally:
            process.kill()
            process.wait(timeout=10)
