"""A bug in a worker task: the window is told in one line, the traceback goes to the log, nothing to stderr."""
from __future__ import annotations

import logging

from faceverify.gui.workers import Task


def test_a_failing_task_reports_one_line_and_logs_the_traceback(qtbot, caplog, capfd):
    def count_faces(task: Task, folder: str) -> int:
        return len(folder) // 0

    task = Task(count_faces, "people")
    with caplog.at_level(logging.ERROR, logger="faceverify"), qtbot.waitSignal(task.failed, timeout=5000) as failed:
        task.start()
    assert failed.args == ["Unexpected error (ZeroDivisionError): integer division or modulo by zero"]
    [record] = [r for r in caplog.records if r.name == "faceverify.gui.workers"]
    assert record.getMessage() == "count_faces failed" and record.exc_info[0] is ZeroDivisionError
    assert "Traceback" not in capfd.readouterr().err
