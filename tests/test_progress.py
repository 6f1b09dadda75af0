"""The progress bar shows only to a person at a terminal."""

import io

from voxrig.bridge.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_draws_a_bar_with_the_stage_on_a_terminal_and_clears_it_at_the_end():
    screen = Terminal()
    bar = ProgressBar(stream=screen, width=10)
    bar(0.5, "finding phones")
    assert screen.getvalue().startswith("\r[#####-----]  50% finding phones")
    bar.close()
    assert screen.getvalue().endswith("\r\033[K")


def test_draws_nothing_when_output_is_not_a_terminal_or_disabled():
    pipe = io.StringIO()
    ProgressBar(stream=pipe)(0.5, "animating")
    muted = Terminal()
    ProgressBar(enabled=False, stream=muted)(0.5, "animating")
    assert pipe.getvalue() == "" and muted.getvalue() == ""
