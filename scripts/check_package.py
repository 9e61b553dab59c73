"""Build the sdist and the wheel as a release would, check them as a package index would, and
run the unit tests from the unpacked sdist: `python -m scripts.check_package` (make package)."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the sdist's tests need besides themselves; what the wheel must and must not hold.
SDIST_NEEDS = (
    "LICENSE",
    "testkit/local_ec2.py",
    "tests/e2e/data/v1-plan.json",
    "tests/conftest.py",
)
WHEEL_NEEDS = ("sgupdater/cli/app.py", "sgupdater/kinds/waf/use.py")
WHEEL_NEVER = ("tests/", "testkit/", "bench/", "scripts/")
# A link an index cannot follow: relative to the repository.
RELATIVE_LINK = re.compile(r"\]\((?!https?://|#)[^)]+\)")


def run(*command: str, cwd: Path = ROOT) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, cwd=cwd, check=True)


def check_sdist(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        top = names[0].split("/")[0]
        for needed in SDIST_NEEDS:
            if f"{top}/{needed}" not in names:
                sys.exit(f"check_package: the sdist lacks {needed}")
        archive.extractall(into, filter="data")
    return into / top


def check_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode()
    for needed in WHEEL_NEEDS:
        if needed not in names:
            sys.exit(f"check_package: the wheel lacks {needed}")
    if any(n.startswith(WHEEL_NEVER) for n in names):
        sys.exit("check_package: the wheel carries tests, the test kit or benchmarks")
    if not any(n.endswith("licenses/LICENSE") for n in names):
        sys.exit("check_package: the wheel carries no LICENSE")
    for field in ("License-Expression: MIT", "Classifier: Topic :: System :: Networking"):
        if field not in text:
            sys.exit(f"check_package: the wheel's metadata lacks {field!r}")
    if RELATIVE_LINK.search(text):
        sys.exit("check_package: the description has a relative link, broken on an index")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "dist"
        run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), ".")
        [sdist], [wheel] = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
        run(sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel))
        check_wheel(wheel)
        unpacked = check_sdist(sdist, Path(scratch) / "sdist")
        # The sdist's own code and tests (its pytest settings put its root on the path).
        run(sys.executable, "-m", "pytest", "tests/unit", "-q", "-n", "0", "-p", "no:cacheprovider",
            cwd=unpacked)  # fmt: skip
    print("check_package: sdist and wheel are complete, their metadata passes twine check")


if __name__ == "__main__":
    main()
