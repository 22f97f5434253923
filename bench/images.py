"""Peak memory and time of cleaning untrusted images (part of `make bench`, DESIGN.md rule 10).

Each case runs `amparo.core.uploads.clean_upload` in a fresh Python process and reports the growth of
the resident set (VmRSS sampled every 2 ms) over the process's baseline, and the wall time. Cases: a 150 KB PNG of
6300 x 6300 pixels (a decompression bomb for its size), a 12 MP phone JPEG, and a 48 MP JPEG (decoded in draft
mode at a reduced scale). Writes var/bench/images.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = Path(os.environ.get("AMPARO_VAR_DIR", ROOT / "var")) / "bench"

CHILD = r"""
import io, json, sys, time
import django
django.setup()
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from amparo.core import uploads

path = sys.argv[1]
kind = path.rsplit("/", 1)[-1]
data = open(path, "rb").read()
name = "bomb.png" if kind.endswith(".png") else "photo.jpg"
import threading
def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
gc_done = __import__("gc").collect()
base = rss_kb()
samples = [base]
running = True
def sample():
    while running:
        samples.append(rss_kb())
        time.sleep(0.002)
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
started = time.perf_counter()
try:
    result = uploads.clean_upload(SimpleUploadedFile(name, data))
    outcome = f"accepted ({len(result.data)} bytes)"
    with Image.open(io.BytesIO(result.data)) as cleaned:
        outcome += f" {cleaned.size[0]}x{cleaned.size[1]}"
except uploads.AttachmentRejected as exc:
    outcome = f"refused ({exc.code})"
elapsed = time.perf_counter() - started
running = False
sampler.join()
peak = max(samples)
print(json.dumps({"case": kind, "upload_bytes": len(data), "baseline_mb": base / 1024, "peak_mb": peak / 1024,
                  "growth_mb": (peak - base) / 1024, "seconds": elapsed, "outcome": outcome}))
"""


def make_inputs() -> list[Path]:
    """The test images, written once by this process so the measured process only reads bytes."""
    from PIL import Image

    paths = []
    bomb = BENCH_VAR / "png-bomb-6300.png"
    if not bomb.exists():
        Image.new("RGB", (6300, 6300), (0, 0, 0)).save(bomb, format="PNG", optimize=True)
    paths.append(bomb)
    for label, size in (("jpeg-12mp", (4000, 3000)), ("jpeg-48mp", (8000, 6000))):
        path = BENCH_VAR / f"{label}.jpg"
        if not path.exists():
            noise = Image.effect_noise((size[0] // 8, size[1] // 8), 40).resize(size)
            Image.merge("RGB", (noise, Image.linear_gradient("L").resize(size), noise)).save(
                path, format="JPEG", quality=85
            )
        paths.append(path)
    return paths


def run(kind: Path) -> dict[str, Any]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="amparo.settings", PYTHONPATH=str(ROOT))
    env.setdefault("AMPARO_VAR_DIR", str(ROOT / "var"))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(kind)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    results = [run(path) for path in make_inputs()]
    print("\nUntrusted images (fresh process each; peak RSS growth over the baseline, wall time)")
    for r in results:
        print(
            f"  {r['case']:<22} {int(r['upload_bytes']) / 1024:>8.0f} KB  +{float(r['growth_mb']):>6.0f} MB "
            f"(peak {float(r['peak_mb']):.0f} MB)  {float(r['seconds']):>5.2f} s  {r['outcome']}"
        )
    (BENCH_VAR / "images.json").write_text(json.dumps(results, indent=2))
    print("Figures: var/bench/images.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
