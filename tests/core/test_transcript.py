"""core.transcript: a subprocess's output shown and kept in a log, progress bars as their last state."""

from __future__ import annotations

import sys

from codegen_study.core.transcript import Transcript, last_state

SCRIPT = ("import sys\n"
          "print('first line')\n"
          "sys.stderr.write('bar 1/3\\rbar 2/3\\rbar 3/3\\n')\n"
          "sys.stderr.flush()\n"
          "print('last line')\n"
          "sys.exit(3)\n")


def test_last_state_is_what_a_terminal_shows():
    assert last_state("bar 1/3\rbar 2/3\rbar 3/3\n") == "bar 3/3"
    assert last_state("done\r\n") == "done"
    assert last_state("\r  \n") == ""


def test_a_subprocess_is_echoed_and_logged_with_its_exit_code(tmp_path, capfd):
    log = Transcript(tmp_path / "logs" / "job.log")
    log.write("[12:00:00] == train")
    assert log.run([sys.executable, "-c", SCRIPT]) == 3
    lines = (tmp_path / "logs" / "job.log").read_text().splitlines()
    assert lines[0] == "[12:00:00] == train"
    assert lines[1].startswith(f"$ {sys.executable} -c")
    assert lines[-3:] == ["first line", "bar 3/3", "last line"]
    shown = capfd.readouterr().out
    assert "first line" in shown and "bar 1/3\rbar 2/3" in shown  # the terminal still gets the bar


def test_wait_returns_only_when_every_line_is_in_the_log(tmp_path):
    log = Transcript(tmp_path / "job.log")
    proc = log.start([sys.executable, "-c", "for i in range(2000): print(i)"])
    assert proc.wait() == 0
    assert (tmp_path / "job.log").read_text().splitlines()[-1] == "1999"
