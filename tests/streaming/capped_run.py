"""Run a suite under a memory cap: a thread samples this process's anonymous resident
memory (what a container's memory limit counts and kills for; the memory-mapped Arrow
pages the kernel can drop are not in it) every 2 ms and ends the process with exit code
137, as the OOM killer would, once it passes the cap. Prints the peak as JSON.

Usage: python -m tests.streaming.capped_run SUITE CACHE_DIR CAP_MB
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path


def anonymous_mb() -> float:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no RssAnon in /proc/self/status")


def main() -> None:
    suite, cache, cap = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    peak = [anonymous_mb()]

    def watch() -> None:
        while True:
            peak[0] = max(peak[0], anonymous_mb())
            if peak[0] > cap:
                print(json.dumps({"peak_mb": peak[0], "killed": True}), flush=True)
                os._exit(137)
            time.sleep(0.002)

    threading.Thread(target=watch, daemon=True).start()
    from assay.runners.run import run_suite
    from assay.suites.loading import load_suite

    output = run_suite(load_suite(suite), cache_dir=cache)
    results = {
        f"{r.model}/{r.dataset}/{r.metric}/{r.slice or ''}/{r.group or ''}": r.value
        for r in output.report.results
    }
    time.sleep(0.01)  # a last sample
    print(json.dumps({"peak_mb": peak[0], "killed": False, "results": results}), flush=True)


if __name__ == "__main__":
    main()
