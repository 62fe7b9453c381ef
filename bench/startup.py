"""How fast `mailbot --help` starts (heavy imports happen only in the commands).

.venv/bin/python bench/startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

MAILBOT = Path(sys.executable).parent / "mailbot"


def main() -> None:
    runs = []
    for _ in range(15):
        start = time.perf_counter()
        subprocess.run([str(MAILBOT), "--help"], capture_output=True, check=True)
        runs.append(time.perf_counter() - start)
    bare = []
    for _ in range(15):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=True)
        bare.append(time.perf_counter() - start)
    print(
        f"mailbot --help: median {statistics.median(runs) * 1000:.0f} ms, max {max(runs) * 1000:.0f} ms (target < 250 ms)"
    )
    print(f"bare python   : median {statistics.median(bare) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
