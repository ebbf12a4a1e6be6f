"""Check that every pin resolves to binary wheels on the Pythons and platforms CI cannot run.

    python tools/check_pins.py                  # every target below; exit 1 if any fails
    python tools/check_pins.py 3.14 windows     # only the targets matching every word

CI runs `make test` on Linux with Python 3.11 and with the newest interpreter the
machine has; this script covers the rest of the supported range (see README, "Python
versions") on Linux, macOS on Apple silicon and Windows. For each target it asks pip to
resolve requirements.txt with constraints.txt as it would install them there
(`pip install --dry-run --only-binary=:all: --python-version X --platform P`), without
installing or building anything: a pin without a wheel for that Python and platform,
or a pin whose Requires-Python excludes it, fails the target. Each Python is checked at
its first release (3.11 is 3.11.0), the one a Requires-Python such as ">=3.11.5" excludes.

pip evaluates the environment markers of a requirements file (`; python_version <
"3.11"`) for the interpreter running it, not for `--python-version`, so the script
first evaluates them for each target and hands pip the lines that apply there. The
markers inside the packages' own metadata are still pip's to evaluate, for the running
interpreter: a dependency needed only on Windows or macOS (pywin32, appnope) is not
resolved, and constraints.txt, written on Linux, does not pin it either.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")

# pip expands a manylinux2014 tag to manylinux2010 and manylinux1, and a macOS tag to the
# older macOS releases and universal2, but a manylinux_2_x tag only to itself: the glibc
# range is listed. manylinux_2_17 is CentOS 7's glibc; 2_35 is Ubuntu 22.04's.
PLATFORMS = {
    "linux": {
        "tags": ["manylinux2014_x86_64"]
        + [f"manylinux_2_{minor}_x86_64" for minor in range(17, 36)],
        "markers": {"sys_platform": "linux", "platform_system": "Linux",
                    "platform_machine": "x86_64", "os_name": "posix"},
    },
    "macos": {
        "tags": ["macosx_14_0_arm64"],  # wheels that install on macOS 14, Apple silicon
        "markers": {"sys_platform": "darwin", "platform_system": "Darwin",
                    "platform_machine": "arm64", "os_name": "posix"},
    },
    "windows": {
        "tags": ["win_amd64"],
        "markers": {"sys_platform": "win32", "platform_system": "Windows",
                    "platform_machine": "AMD64", "os_name": "nt"},
    },
}

# Linux on 3.11 and the newest interpreter is what `make test` runs in CI; every other
# combination is checked here. 3.11 and 3.13 on Linux are kept too: they cost a few
# seconds and make the check complete on a machine whose CI has no second interpreter.
TARGETS = [(python, platform) for python in PYTHONS for platform in PLATFORMS]


def marker_environment(python, platform):
    """The PEP 508 environment of CPython ``python`` (e.g. "3.12") on ``platform``."""
    env = {"python_version": python, "python_full_version": f"{python}.0",
           "implementation_name": "cpython", "platform_python_implementation": "CPython",
           "implementation_version": f"{python}.0"}
    env.update(PLATFORMS[platform]["markers"])
    return env


def lines_for(path, env):
    """The lines of a requirements or constraints file that apply in ``env``, markers
    removed; comments, blank lines and options such as ``-c`` are dropped."""
    kept = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(env):
            requirement.marker = None
            kept.append(str(requirement))
    return kept


def check(python, platform, workdir):
    """Run pip's dry-run resolution for one target; return (ok, seconds, pip's output)."""
    env = marker_environment(python, platform)
    requirements = workdir / f"requirements-{python}-{platform}.txt"
    constraints = workdir / f"constraints-{python}-{platform}.txt"
    requirements.write_text("\n".join(lines_for(ROOT / "requirements.txt", env)) + "\n")
    constraints.write_text("\n".join(lines_for(ROOT / "constraints.txt", env)) + "\n")
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run",
        "--disable-pip-version-check", "--no-input",
        "--only-binary=:all:", "--implementation", "cp", "--python-version", python,
        *(arg for tag in PLATFORMS[platform]["tags"] for arg in ("--platform", tag)),
        "--target", str(workdir / f"target-{python}-{platform}"),
        "-r", str(requirements), "-c", str(constraints),
    ]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    return result.returncode == 0, time.monotonic() - start, result.stdout + result.stderr


def main(words):
    targets = [t for t in TARGETS if all(word in t for word in words)]
    if not targets:
        sys.exit(f"no target matches {' '.join(words)}: Pythons {', '.join(PYTHONS)}, "
                 f"platforms {', '.join(PLATFORMS)}")
    failed = []
    start = time.monotonic()
    # Three resolutions at a time: each spends most of its time waiting for the index.
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=3) as pool:
        results = pool.map(lambda target: check(*target, Path(tmp)), targets)
        for (python, platform), (ok, seconds, output) in zip(targets, results):
            print(f"{'ok  ' if ok else 'FAIL'} Python {python} {platform:8} {seconds:5.1f} s",
                  flush=True)
            if not ok:
                failed.append((python, platform))
                # pip's reason comes last; its warnings (an index it skips, ...) do not help
                lines = [line for line in output.splitlines()
                         if line.strip() and not line.startswith("WARNING:")]
                print("     " + "\n     ".join(lines[-20:]), flush=True)
    print(f"pins: {len(targets) - len(failed)} of {len(targets)} targets resolve to wheels "
          f"({time.monotonic() - start:.0f} s)")
    if failed:
        sys.exit("pins without wheels for: "
                 + ", ".join(f"Python {p} on {platform}" for p, platform in failed))


if __name__ == "__main__":
    main(sys.argv[1:])
