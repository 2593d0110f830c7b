"""``TRACEJIT_REPORT=dir``: a compile report (``page.py``) written into ``dir`` after every
compilation of a jitted call, one file per compilation (``NAME-N.html``: the function's
qualified name less its enclosing functions, N the first number free). The directory is
made if missing; a report that cannot be written logs a warning and the call goes on."""
from __future__ import annotations

import logging
import os

from tracejit.compile import Compilation
from tracejit.config import config, emit_log, log_enabled
from tracejit.frontend.lowered import Lowered
from tracejit.stagetimes import report as report_times


def compiled(name: str, compilation: Compilation) -> None:
    """After one compilation of the function ``name``: its stage times (``stagetimes.report``),
    and its report written into ``config.report_dir`` when that is set."""
    report_times(name, compilation.times)
    if config.report_dir:
        try:
            path = write_into(config.report_dir, name, Lowered(compilation))
        except OSError as error:
            emit_log("compile", f"TRACEJIT_REPORT: the report of {name} cannot be written: {error}", logging.WARNING)
        else:
            if log_enabled("compile"):
                emit_log("compile", f"{name}: report written to {path}")


def write_into(directory: str, name: str, lowered: Lowered) -> str:
    """Write the report of ``lowered`` as a new file ``NAME-N.html`` in ``directory``; its path."""
    from tracejit.report.page import report  # (on first use: every compilation imports this module)
    os.makedirs(directory, exist_ok=True)
    short = name.rsplit("<locals>.", 1)[-1]  # a function defined in another: its own name
    stem = "".join(c if c.isalnum() or c in "_-." else "_" for c in short)[:60] or "function"
    page = report(lowered)
    number = 0
    while True:
        path = os.path.join(directory, f"{stem}-{number}.html")
        try:
            with open(path, "x", encoding="utf-8") as file:  # "x": never another compilation's file
                file.write(page)
            return path
        except FileExistsError:
            number += 1
