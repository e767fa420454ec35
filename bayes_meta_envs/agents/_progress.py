"""The budget clock and the progress display that every training recipe uses.

:class:`BudgetClock` measures a run's progress in [0, 1]: the larger of the fraction of its
iterations done and the fraction of its wall-clock budget spent, both counted over the whole run
(earlier sessions of a resumed run included: the budget is the whole run's), so the schedules of a resumed run follow those of
an uninterrupted one. :class:`ProgressBar` draws it on stderr, only when stderr is a terminal
unless asked (``progress=True``); it needs tqdm (the ``train`` extra).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping

from bayes_meta_envs.errors import require


class BudgetClock:
    """Progress of a run of ``total`` iterations within ``budget_minutes`` (None: no budget).

    ``done`` and ``elapsed_before`` are the iterations and seconds of earlier sessions; the clock
    starts at construction (or at :meth:`restart`). :meth:`tick` counts iterations.
    """

    def __init__(
        self,
        budget_minutes: float | None,
        total: int,
        *,
        done: int = 0,
        elapsed_before: float = 0.0,
    ) -> None:
        self.budget_s = None if budget_minutes is None else 60.0 * budget_minutes
        self.total = total
        self.done = done
        self.elapsed_before = elapsed_before
        self.restart()

    def restart(self) -> None:
        """Start this session's wall and CPU clocks now."""
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.lapped = self.elapsed_before

    def tick(self, n: int = 1) -> None:
        """Count ``n`` more iterations."""
        self.done += n

    def session_seconds(self) -> float:
        """Wall-clock seconds of this session."""
        return time.perf_counter() - self.start

    def elapsed(self) -> float:
        """Wall-clock seconds over the whole run."""
        return self.elapsed_before + self.session_seconds()

    def cpu_seconds(self) -> float:
        """Process CPU seconds of this session."""
        return time.process_time() - self.cpu_start

    def lap(self) -> float:
        """Note the run's elapsed seconds now (what :meth:`out_of_time` and :meth:`progress`
        read with ``at_lap``: a loop that decides once per iteration) and return them."""
        self.lapped = self.elapsed()
        return self.lapped

    def out_of_time(self, *, at_lap: bool = False) -> bool:
        """Whether the run has spent its budget (never without one); ``at_lap``: as of the last
        :meth:`lap`, else now."""
        spent = self.lapped if at_lap else self.elapsed()
        return self.budget_s is not None and spent >= self.budget_s

    def progress(self, *, at_lap: bool = False) -> float:
        """Fraction of training done: iterations over ``total``, or the spent fraction of the
        budget when that is larger (``at_lap``: as of the last :meth:`lap`, else now)."""
        frac = self.done / self.total
        if self.budget_s is not None:
            spent = self.lapped if at_lap else self.elapsed()
            frac = max(frac, spent / self.budget_s)
        return min(frac, 1.0)


def show_progress(progress: bool | None) -> bool:
    """Whether to draw a progress bar: ``progress``, or (None) whether stderr is a terminal."""
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


class ProgressBar:
    """A progress bar on stderr for a :class:`BudgetClock`: iterations against ``total``, or
    seconds against the budget when there is one; a status line of named numbers after it.

    ``progress``: True draws it, False not, None (default) only when stderr is a terminal.
    """

    def __init__(self, clock: BudgetClock, unit: str, *, progress: bool | None = None) -> None:
        tqdm = require("tqdm", "train").tqdm
        self.clock = clock
        self.unit = unit
        enabled = show_progress(progress)
        if clock.budget_s is None:
            self.format = "{l_bar}{bar}| {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}]"
            self.bar = tqdm(
                total=clock.total,
                initial=min(clock.done, clock.total),
                disable=not enabled,
                unit=unit,
                bar_format=self.format,
            )
        else:  # against the budget, in seconds
            self.format = "{l_bar}{bar}| {n:.0f}/{total:.0f} s budget"
            self.bar = tqdm(
                total=round(clock.budget_s),
                initial=min(round(clock.elapsed()), round(clock.budget_s)),
                disable=not enabled,
                unit="s",
                bar_format=self.format,
            )

    def update(self, status: Mapping[str, object]) -> None:
        """Move the bar to the clock's position and show ``status`` (``name=value`` pairs)."""
        text = ", ".join(f"{k}={v}" for k, v in status.items())
        # in the format itself: tqdm's postfix would start with a stray ", "
        text = text.replace("{", "{{").replace("}", "}}")
        self.bar.bar_format = f"{self.format} | {text}" if text else self.format
        if self.clock.budget_s is None:
            self.bar.update(min(self.clock.done, self.clock.total) - self.bar.n)
        else:
            self.bar.update(min(self.clock.elapsed(), self.clock.budget_s) - self.bar.n)

    def close(self) -> None:
        self.bar.close()
