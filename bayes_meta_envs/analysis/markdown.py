"""The text of the paper's report: ``REPORT.md`` and ``results.json`` from the measurements.

The report answers, per task and with numbers, the four questions of the paper (Mikulik et al.,
NeurIPS 2020): are D_s and D_o (meta-learner -> Bayes) small and far below the untrained control?
Is the reverse direction worse in D_o? Do behaviour and structure improve together over training?
Do runs converge to the Bayes-optimal point? The verdicts are computed from the numbers with the
thresholds stated in the report, so a regenerated report cannot drift from its tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_meta_envs._stats import Estimate
from bayes_meta_envs.analysis.dynamics import CheckpointRow
from bayes_meta_envs.analysis.simulation import SimulationResult
from bayes_meta_envs.task import MetaTask

__all__ = ["AgentAnalysis", "report_markdown", "results_json", "spearman"]

#: "small": D_s below this; "far below the control": at most this fraction of the control's.
SMALL_D_S = 0.1
CONTROL_FRACTION = 0.2


@dataclass
class AgentAnalysis:
    """Everything the report says about one meta-learner."""

    name: str
    task: MetaTask
    signal: str
    behaviour: dict[str, float]
    forward: SimulationResult
    reverse: SimulationResult
    figures: list[str] = field(default_factory=list)
    dynamics: dict[str, list[CheckpointRow]] = field(default_factory=dict)
    mds: dict[str, Any] = field(default_factory=dict)


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (no ties correction needed for continuous values)."""
    rx = np.argsort(np.argsort(np.asarray(x)))
    ry = np.argsort(np.argsort(np.asarray(y)))
    if len(rx) < 3:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def _e(e: Estimate) -> str:
    if not np.isfinite(e.mean):
        return "inf"
    return f"{e.mean:.4f} ± {e.ci95:.4f}"


def _f(v: float) -> str:
    if np.isnan(v):
        return "n/a"
    return f"{v:.4f}" if np.isfinite(v) else "inf"


def _perf(a: AgentAnalysis) -> str:
    b = a.behaviour
    if a.task.is_bandit:
        gap = _f(b["bayes_gap_q"])
        return f"Bayes gap (Q) {gap}/episode, kl_to_bayes_set {_f(b['divergence'])}/step"
    return f"excess log-loss {_f(b['excess_log_loss'])}/step, KL {_f(b['divergence'])}/step"


def _sim_rows(a: AgentAnalysis) -> list[str]:
    bandit = a.task.is_bandit
    head = "| direction | D_s | D_o |" + (" return lost | KL version of D_o |" if bandit else "")
    lines = [head, "|---|---:|---:|" + ("---:|---:|" if bandit else "")]
    for label, r in (
        ("meta-learner → Bayes", a.forward),
        ("untrained → Bayes (control)", a.forward.control),
        ("Bayes → meta-learner", a.reverse),
        ("Bayes → untrained (control)", a.reverse.control),
    ):
        if r is None:
            continue
        cells = [_e(r.d_s), _e(r.d_o)]
        if bandit:
            kl = r.extras.get("kl_to_set", r.extras.get("kl"))
            cells += [_e(r.extras["return_lost"]), _e(kl) if kl is not None else "n/a"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _answers(a: AgentAnalysis) -> tuple[list[str], list[str]]:
    """The four answers (Markdown bullets) and the ways they differ from the paper."""
    fwd, rev = a.forward, a.reverse
    out, differs = [], []
    c = fwd.control
    if c is not None:
        small = fwd.d_s.mean < SMALL_D_S
        below = (
            fwd.d_s.mean <= CONTROL_FRACTION * c.d_s.mean
            and fwd.d_o.mean <= CONTROL_FRACTION * c.d_o.mean
        )
        yes = small and below
        out.append(
            f"- **Meta-learner → Bayes small and far below the control?** {'Yes' if yes else 'No'}: "
            f"D_s {_f(fwd.d_s.mean)} vs control {_f(c.d_s.mean)} "
            f"({_ratio(fwd.d_s.mean, c.d_s.mean)}), D_o {_f(fwd.d_o.mean)} vs control "
            f"{_f(c.d_o.mean)} ({_ratio(fwd.d_o.mean, c.d_o.mean)})."
        )
        if not yes:
            differs.append(f"{a.task.name}: meta-learner → Bayes is not clearly small")
    worse = rev.d_o.mean > fwd.d_o.mean
    out.append(
        f"- **Reverse direction worse in D_o?** {'Yes' if worse else 'No'}: Bayes → meta-learner "
        f"D_o {_f(rev.d_o.mean)} vs meta-learner → Bayes {_f(fwd.d_o.mean)}; D_s "
        f"{_f(rev.d_s.mean)} vs {_f(fwd.d_s.mean)}."
    )
    if not worse:
        differs.append(f"{a.task.name}: the reverse direction is not worse in D_o")
    if a.dynamics:
        name, rows = next(iter(a.dynamics.items()))
        perf = [r.performance for r in rows]
        rho_s = spearman(perf, [r.d_s for r in rows])
        rho_o = spearman(perf, [r.d_o for r in rows])
        together = rho_s > 0.5 and rho_o > 0.5
        out.append(
            f"- **Behaviour and structure improve together over training?** "
            f"{'Yes' if together else 'Not clearly'} (run `{name}`, {len(rows)} checkpoints "
            f"incl. the untrained net): Spearman correlation of the performance with D_s "
            f"{_f(rho_s)}, with D_o {_f(rho_o)}; from step {rows[0].step} to {rows[-1].step} "
            f"performance {_f(perf[0])} → {_f(perf[-1])}, D_s {_f(rows[0].d_s)} → "
            f"{_f(rows[-1].d_s)}, D_o {_f(rows[0].d_o)} → {_f(rows[-1].d_o)}."
        )
        if not together:
            differs.append(f"{a.task.name}: behaviour and structure do not move together")
    if a.mds:
        s, e = a.mds["start_divergence"], a.mds["end_divergence"]
        conv = all(x < 0.25 * y for x, y in zip(e, s))
        out.append(
            f"- **Runs converge to the Bayes point?** {'Yes' if conv else 'Not all'} "
            f"({len(s)} runs): output divergence to Bayes at the start "
            f"{', '.join(_f(x) for x in s)} → at the end {', '.join(_f(x) for x in e)}."
        )
        if not conv:
            differs.append(f"{a.task.name}: not every run ends near the Bayes point")
    return out, differs


def _ratio(x: float, y: float) -> str:
    return f"{x / y:.1%} of it" if y > 0 and np.isfinite(x) and np.isfinite(y) else "n/a"


def report_markdown(
    results: Sequence[AgentAnalysis], episodes: int, dyn_episodes: int, seed: int, command: str
) -> str:
    """The Markdown text of ``REPORT.md``."""
    lines = [
        "# Do meta-trained agents implement Bayes-optimal agents?",
        "",
        "Behavioural and structural comparison of meta-trained LSTM agents with the exact "
        "Bayes-optimal agents of the registered tasks, after Mikulik et al., *Meta-trained "
        "agents implement Bayes-optimal agents* (NeurIPS 2020), with choices the paper leaves "
        "open taken as in Kuo et al. (NeurIPS 2025). Method: `docs/analysis.md`.",
        "",
        f"Simulation: {episodes} episodes per pair (70% fit the map φ, 30% held out; every "
        f"number is a mean over held-out episodes ± the half-width of its 95% CI), seed {seed}, "
        f"no PCA. Training dynamics and MDS: {dyn_episodes} episodes per checkpoint.",
        "",
    ]
    if command:
        lines += ["Regenerate the report from its runs with:", "", "```", command, "```", ""]
    lines += [
        "## Summary",
        "",
        "D_s = step-conditional normalised MSE of φ (each target component's residual over its "
        "variance given the step; components the step fixes drop out; `docs/analysis.md`); "
        "D_o = prediction tasks: KL between the target's predictive "
        "on its true and on φ-mapped states, per step; bandits: probability per step that the "
        "target acts differently from mapped states (for the Bayes target: leaves its "
        "Bayes-optimal set). Control: the same with an untrained network of the same "
        "architecture in the meta-learner's place. An untrained network's outputs hardly depend "
        "on its state, so its D_o as a *target* (Bayes → untrained) is near 0 by construction: "
        "read that control's D_s.",
        "",
        "| task | agent (signal) | behaviour | D_s m→B (control) | D_o m→B (control) "
        "| D_s B→m (control) | D_o B→m (control) |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    all_diffs: list[str] = []
    for a in results:
        f, r = a.forward, a.reverse
        fc, rc = f.control, r.control
        cells = [
            f"{_f(f.d_s.mean)} ({_f(fc.d_s.mean) if fc else 'n/a'})",
            f"{_f(f.d_o.mean)} ({_f(fc.d_o.mean) if fc else 'n/a'})",
            f"{_f(r.d_s.mean)} ({_f(rc.d_s.mean) if rc else 'n/a'})",
            f"{_f(r.d_o.mean)} ({_f(rc.d_o.mean) if rc else 'n/a'})",
        ]
        lines.append(
            f"| {a.task.name} | `{a.name}` ({a.signal}) | {_perf(a)} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    for a in results:
        answers, diffs = _answers(a)
        all_diffs += diffs
        lines += [f"## {a.task.name}: `{a.name}`", "", f"Behaviour: {_perf(a)}.", ""]
        lines += [*_sim_rows(a), "", *answers, ""]
        if a.dynamics:
            lines += ["Over training (meta-learner → Bayes and back):", ""]
            lines += [
                "| update | performance | divergence | D_s m→B | D_o m→B | D_s B→m | D_o B→m |",
                "|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for row in next(iter(a.dynamics.values())):
                v = [row.performance, row.divergence, row.d_s, row.d_o, row.d_s_reverse]
                lines.append(
                    f"| {row.step} | " + " | ".join(_f(x) for x in [*v, row.d_o_reverse]) + " |"
                )
            lines.append("")
        for fig in a.figures:
            lines += [f"![{fig}]({fig})", ""]
    lines += ["## Where this differs from the paper", ""]
    lines += [f"- {d}" for d in all_diffs] or ["- Nowhere on these four questions."]
    lines += [
        "",
        "Thresholds of the verdicts: small D_s < "
        f"{SMALL_D_S}; far below the control: at most {CONTROL_FRACTION:.0%} of the control's "
        "D_s and D_o; improving together: Spearman correlation > 0.5 between performance and "
        "each of D_s, D_o over the checkpoints; converged: final output divergence to Bayes "
        "below 25% of the untrained network's.",
        "",
    ]
    return "\n".join(lines)


def results_json(results: Sequence[AgentAnalysis]) -> dict[str, Any]:
    """The machine-readable version of the report."""
    return {
        "kind": "bayes_meta_envs.analysis_report",
        "tasks": [
            {
                "task": a.task.name,
                "agent": a.name,
                "signal": a.signal,
                "behaviour": a.behaviour,
                "forward": a.forward.to_dict(),
                "reverse": a.reverse.to_dict(),
                "dynamics": {k: [r.to_dict() for r in v] for k, v in a.dynamics.items()},
                "mds": {k: v for k, v in a.mds.items() if k != "output_distance"},
                "figures": a.figures,
            }
            for a in results
        ],
    }
