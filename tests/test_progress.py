"""Progress bars of long commands (observe/progress.py): drawn on a terminal, silent otherwise."""

import io

from observe import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_bar(total: int) -> None:
    with progress.bar("seeding tickets", total) as advance:
        for _ in range(total):
            advance(1)
    with progress.spinner("applying migrations"):
        pass


def test_quiet_when_stderr_is_not_a_terminal(capsys):
    run_bar(3)
    assert capsys.readouterr() == ("", "")


def test_drawn_on_stderr_when_it_is_a_terminal(monkeypatch, capsys):
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setenv("TERM", "xterm")
    run_bar(3)
    assert "seeding tickets" in terminal.getvalue()
    assert capsys.readouterr().out == ""  # never on stdout, which may be piped data
