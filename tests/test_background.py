"""Work on the other core: a forked task gives what the call would, runs only once asked
when not forked, and leaves no process behind whether or not its result was wanted."""

import multiprocessing
import os

from voxrig.core.background import Background, in_two_processes


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_a_forked_task_runs_in_another_process_and_gives_what_the_call_gives():
    pid, value = Background(_pid_and_square, 7).result()
    assert value == 49 and pid != os.getpid()
    assert multiprocessing.active_children() == []


def test_a_task_not_forked_runs_here_only_when_its_result_is_asked_for():
    calls = []
    task = Background(calls.append, "ran", fork=False)
    assert calls == []
    task.result()
    assert calls == ["ran"]


def test_a_task_dropped_unheard_leaves_no_process():
    task = Background(_pid_and_square, 3)
    task.close()
    assert multiprocessing.active_children() == []


def test_two_processes_give_both_results_in_order():
    (here, a), (there, b) = in_two_processes(_pid_and_square, (2,), (5,))
    assert (a, b) == (4, 25) and here == os.getpid() != there
