"""Files next to rows (core/filestore.py): a writer killed with SIGKILL never leaves a half file under a real name,
and the sweep removes what no row names once it is older than the grace period (docs/faults.md). The whole fault
with the services and a database is `bench/faults.py kill`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from amparo.core import filestore

WRITER = """
import sys
from pathlib import Path
from amparo.core import filestore
root = Path(sys.argv[1])
n = 0
while True:
    n += 1
    filestore.write_atomically(root / f"r{n % 7}" / f"{n}.bin", bytes([n % 256]) * (4 * 1024 * 1024))
    print(n, flush=True)
"""


def test_a_writer_killed_mid_write_leaves_whole_files_or_temporary_ones_that_the_sweep_removes(
    tmp_path: Path, settings: Any
) -> None:
    root = tmp_path / "store"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "amparo.settings", "PYTHONPATH": str(Path.cwd())}
    written: list[int] = []
    for delay in (0.3, 0.45, 0.6, 0.75, 0.9):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True, env=env)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        written += [int(line) for line in out.split()]
    finals = list(root.rglob("*.bin"))
    temporaries = list(root.rglob(f"{filestore.TEMP_PREFIX}*{filestore.TEMP_SUFFIX}"))
    assert written, "the writer never finished a file: the machine is too slow for these delays"
    for path in finals:  # every file under its real name is whole
        n = int(path.stem)
        assert path.read_bytes() == bytes([n % 256]) * (4 * 1024 * 1024)
    # Rows name some files (here: the first one written); within the grace period nothing is swept.
    known = [f"r{written[0] % 7}/{written[0]}.bin"]
    assert filestore.sweep_orphans(root, known, grace_seconds=3600) == filestore.Sweep(0, 0)
    swept = filestore.sweep_orphans(root, known, grace_seconds=0)
    assert swept.files == len(finals) - 1 + len(temporaries)
    assert [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()] == known
    assert sorted(p.name for p in root.iterdir()) == [known[0].split("/")[0]]  # empty folders gone too
