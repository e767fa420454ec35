"""One line naming the machine a benchmark ran on, for the header of its table.

Training budgets in wall-clock time depend on the CPU: the same 5-minute run of the demo recipe
fits about 1,600-2,500 updates on one 2-core machine and 3,300-4,800 on another (see the README's
"Time to Bayes"), so every table that quotes a budget should say which CPU it ran on.
"""

from __future__ import annotations

import os
import platform


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of ``/proc/cpuinfo`` (empty off Linux)."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    break  # the end of the first processor's block
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def describe() -> str:
    """The CPU's model name (with family/model numbers and wide vector units on x86), the cores
    this process may use, and the Python platform, e.g.
    ``Intel(R) Xeon(R) Processor (family 6 model 207, avx512f, amx), 2 cores, Linux-x86_64``."""
    info = _cpuinfo()
    name = info.get("model name") or platform.processor() or platform.machine()
    extras = []
    if "cpu family" in info and "model" in info:
        extras.append(f"family {info['cpu family']} model {info['model']}")
    flags = set(info.get("flags", "").split())
    extras += [f for f in ("avx2", "avx512f") if f in flags][-1:]
    if "amx_tile" in flags:
        extras.append("amx")
    if extras:
        name += f" ({', '.join(extras)})"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{name}, {cores} cores, {platform.system()}-{platform.machine()}"


if __name__ == "__main__":
    print(describe())
