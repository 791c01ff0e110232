#!/usr/bin/env python3
"""muslcheck against the tools people would use instead, on real trees.

Builds (once, under target/bench/) from pinned real packages:
  - node_modules of a typical web app (benches/webapp/package-lock.json);
  - node_modules of a native-heavy app: next, prisma, sharp, bun, biome, esbuild,
    @swc/core, lightningcss (benches/nativeapp/package-lock.json);
  - the hostile cases of issue 12 (tests/bounded_work.rs writes them: version
    needs sharing one aux array, library chains of 200/400/800, a 40k-entry
    yarn.lock, 5k and 20k glibc prebuild siblings), so a regression in their
    cost shows;
  - a data-stack venv (corpus/thirdparty/make-venv.sh);
  - a directory of manylinux wheels (benches/wheels.txt, pip download);
  - node_modules copies of 10k, 30k, 100k and 300k files, for scaling.
Then times, warm page cache, RUNS runs each (median; the tools of one tree
interleaved, round by round): muslcheck as it is distributed (the static
binary of `tools/build-dist.sh --binary`); `scanelf -R -n`
(pax-utils); the floor `find TREE -type f -exec head -c4 {} +`; and for the
wheels `auditwheel show` on each wheel. Wall and CPU (user+sys) of each
command started directly (a shell only where the command needs one); peak
RSS from /usr/bin/time in the warm-up run. Writes benches/RESULTS.md and the
README's table.

Usage: benches/compare.sh            (RUNS=5 by default)
"""

import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("MUSLCHECK_BENCH_DIR", ROOT / "target" / "bench"))
RUNS = int(os.environ.get("RUNS", "5"))
# Set by main(): the distributed (static) binary, built by tools/build-dist.sh --binary.
MUSLCHECK = ROOT / "target" / "x86_64-unknown-linux-gnu" / "dist" / "muslcheck"
SCALES = [10_000, 30_000, 100_000, 300_000]


def sh(cmd, **kw):
    print("+", cmd if isinstance(cmd, str) else " ".join(map(str, cmd)), flush=True)
    subprocess.run(cmd, check=True, shell=isinstance(cmd, str), **kw)


def count_files(tree: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(tree))


def build_hostile() -> Path:
    hostile = WORK / "hostile"
    # Written again when a case was added since (the newest is checked).
    if not (hostile / "wheel-16x100000-missing-distinct").is_dir():
        hostile.mkdir(parents=True, exist_ok=True)
        sh(["cargo", "test", "--release", "--locked", "-q", "--test", "bounded_work", "--",
            "--ignored", "write_measured_cases"], cwd=ROOT,
           env={**os.environ, "MUSLCHECK_HOSTILE_DIR": str(hostile)})
    return hostile


def build_webapp(name: str = "webapp") -> Path:
    app = WORK / name
    modules = app / "node_modules"
    if not modules.is_dir():
        app.mkdir(parents=True, exist_ok=True)
        for file in ["package.json", "package-lock.json"]:
            shutil.copy(ROOT / "benches" / name / file, app / file)
        # `npm install` with the lock present installs the locked versions; npm 11's
        # `npm ci` rejects locks whose optional platform packages it skipped.
        sh(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=app)
    return modules


def build_venv() -> Path:
    venv = ROOT / "corpus" / "thirdparty" / "fetched" / "venv"
    if not venv.is_dir():
        sh([str(ROOT / "corpus" / "thirdparty" / "make-venv.sh")])
    return venv


def build_wheels() -> Path:
    wheels = WORK / "wheels"
    if not any(wheels.glob("*.whl")):
        wheels.mkdir(parents=True, exist_ok=True)
        sh([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--platform", "manylinux2014_x86_64",
            "--python-version", "3.11", "-d", str(wheels),
            "-r", str(ROOT / "benches" / "wheels.txt")])
    return wheels


def build_auditwheel() -> Path:
    venv = WORK / "auditwheel-venv"
    tool = venv / "bin" / "auditwheel"
    if not tool.exists():
        sh([sys.executable, "-m", "venv", str(venv)])
        sh([str(venv / "bin" / "pip"), "install", "--quiet", "auditwheel==6.1.0"])
    return tool


def build_scale(modules: Path, target: int) -> Path:
    """Whole copies of node_modules packages until `target` files (real copies:
    hard links would be analysed once)."""
    tree = WORK / "scale" / f"{target // 1000}k"
    if tree.is_dir():
        return tree
    tree.mkdir(parents=True)
    packages = sorted(p for p in modules.iterdir() if p.is_dir())
    total, copy = 0, 0
    while total < target:
        for package in packages:
            if total >= target:
                break
            n = count_files(package)
            if total + n > target * 1.02 and n > 200:
                continue
            shutil.copytree(package, tree / f"copy{copy}" / "node_modules" / package.name, symlinks=True)
            total += n
        copy += 1
    return tree


def words(cmd: str):
    """The command's argument list: run directly, through `sh -c` only when
    it needs a shell (a loop, a pipe)."""
    if any(c in cmd for c in ";|&$<>*"):
        return ["sh", "-c", cmd]
    return shlex.split(cmd)


def run_timed(cmd: str):
    """Wall s (perf_counter) and CPU s (wait4's rusage) of one run of the
    command, started directly: a wrapper (`sh -c`, /usr/bin/time) added about
    1.5 ms to every command, most of a small tree's time."""
    start = time.perf_counter()
    process = subprocess.Popen(words(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime


def peak_rss(cmd: str) -> float:
    """Peak RSS MiB of one run, from GNU time (which counts the command, not
    the forked copy of this script, as wait4's rusage would)."""
    with tempfile.NamedTemporaryFile("r") as rss:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + words(cmd),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(rss.read().split()[-1]) / 1024


def measure(cmd: str):
    """Median wall s and CPU s over RUNS runs, and the peak RSS MiB of the
    warm-up run."""
    rss = peak_rss(cmd)
    runs = [run_timed(cmd) for _ in range(RUNS)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), rss


def row(tree_name, files, tool, cmd, results):
    return rows(tree_name, files, [(tool, cmd)], results)[tool]


def rows(tree_name, files, tools, results):
    """The tools on one tree, interleaved: each round runs every tool once,
    so that the machine's drift (a shared VM's varies by half between
    minutes) falls on all of them alike, not on whichever ran last."""
    rss = {tool: peak_rss(cmd) for tool, cmd in tools}
    runs = {tool: [] for tool, _ in tools}
    for _ in range(RUNS):
        for tool, cmd in tools:
            runs[tool].append(run_timed(cmd))
    measured = {}
    for tool, _ in tools:
        wall, cpu = (statistics.median(run[i] for run in runs[tool]) for i in range(2))
        rss_mib = rss[tool]
        results.append((tree_name, files, tool, wall, cpu, rss_mib))
        print(f"  {tree_name:<22} {tool:<28} wall {wall:7.3f}s cpu {cpu:7.3f}s rss {rss_mib:7.1f} MiB",
              flush=True)
        measured[tool] = (wall, cpu)
    return measured


def main():
    global MUSLCHECK
    WORK.mkdir(parents=True, exist_ok=True)
    # The hostile cases are written by a test of the release build.
    sh(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT)
    built = subprocess.run([str(ROOT / "tools" / "build-dist.sh"), "--binary"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.strip().splitlines()
    MUSLCHECK = ROOT / built[-1]
    for tool in ["scanelf", "npm"]:
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install pax-utils npm")
    modules = build_webapp()
    native = build_webapp("nativeapp")
    hostile = build_hostile()
    venv = build_venv()
    wheels = build_wheels()
    auditwheel = build_auditwheel()
    scales = [build_scale(modules, n) for n in SCALES]

    mc = f"{MUSLCHECK} --fail-on never --format json --arch x86_64"
    results, ratios, matrix_ratios = [], [], []
    trees = [("node_modules (web app)", modules),
             ("node_modules (native-heavy app)", native),
             ("venv (data stack)", venv)]
    for name, tree in trees:
        files = count_files(tree)
        measured = rows(name, files, [
            ("muslcheck", f"{mc} {tree}"),
            ("scanelf -R -n", f"scanelf -R -n {tree}"),
            ("find -exec head -c4 (floor)", f"find {tree} -type f -exec head -c4 {{}} +"),
            # The default matrix (11 images) against one target: facts read once.
            ("muslcheck matrix (11 images)",
             f"{MUSLCHECK} matrix --fail-on never --format json --arch x86_64 {tree}"),
        ], results)
        ours, our_cpu = measured["muslcheck"]
        scanelf, _ = measured["scanelf -R -n"]
        floor, floor_cpu = measured["find -exec head -c4 (floor)"]
        matrix, _ = measured["muslcheck matrix (11 images)"]
        ratios.append((name, ours, scanelf, floor, our_cpu / floor_cpu if floor_cpu else float("inf")))
        matrix_ratios.append((name, ours, matrix))

    wheel_files = sorted(wheels.glob("*.whl"))
    ours, _ = row(f"{len(wheel_files)} wheels", len(wheel_files), "muslcheck audit-wheel",
                  f"{MUSLCHECK} audit-wheel {wheels}", results)
    theirs, _ = row(f"{len(wheel_files)} wheels", len(wheel_files), "auditwheel show (each)",
                    f"for w in {wheels}/*.whl; do {auditwheel} show $w; done", results)
    wheel_ratio = theirs / ours if ours else float("inf")

    for case in sorted(p.name for p in hostile.iterdir()):
        tree = hostile / case
        row(f"hostile: {case}", count_files(tree), "muslcheck", f"{mc} {tree}", results)

    scaling = []
    for tree in scales:
        files = count_files(tree)
        wall, cpu, rss = measure(f"{mc} {tree}")
        scaling.append((files, wall, cpu, rss))
        print(f"  scale {files:>7} files: wall {wall:.3f}s cpu {cpu:.3f}s rss {rss:.1f} MiB", flush=True)

    write_results(results, ratios, wheel_ratio, scaling, matrix_ratios)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Linux {platform.release()}"


def write_results(results, ratios, wheel_ratio, scaling, matrix_ratios):
    version = subprocess.run([str(MUSLCHECK), "--version"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"Measured by `benches/compare.sh` ({RUNS} runs each, median, warm page cache) "
        f"on {machine()}; {version}, the distributed static binary "
        "(`tools/build-dist.sh --binary`). Each command is started directly: wall from "
        "`time.perf_counter`, CPU from `wait4`, peak RSS from GNU time in a warm-up run.",
        "",
        "| tree | files | tool | wall | CPU | peak RSS |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for tree, files, tool, wall, cpu, rss in results:
        lines.append(f"| {tree} | {files:,} | {tool} | {wall:.3f} s | {cpu:.3f} s | {rss:.0f} MiB |")
    lines += ["", "| ratio | value |", "|---|---:|"]
    for name, ours, scanelf, floor, cpu_ratio in ratios:
        lines.append(f"| {name}: muslcheck / head -c4 floor (wall) | {ours / floor:.2f}× |")
        lines.append(f"| {name}: muslcheck / head -c4 floor (CPU) | {cpu_ratio:.2f}× |")
        lines.append(f"| {name}: muslcheck / scanelf -R -n (wall) | {ours / scanelf:.2f}× |")
    lines.append(f"| wheels: auditwheel show / muslcheck audit-wheel | {wheel_ratio:.1f}× faster |")
    for name, one, matrix in matrix_ratios:
        lines.append(f"| {name}: matrix of 11 images / one target | {matrix / one:.2f}× |")
    lines += ["", "Scaling (node_modules copies):", "", "| files | wall | CPU | peak RSS | µs per file |",
              "|---:|---:|---:|---:|---:|"]
    for files, wall, cpu, rss in scaling:
        lines.append(f"| {files:,} | {wall:.3f} s | {cpu:.3f} s | {rss:.0f} MiB | {wall / files * 1e6:.1f} |")
    table = "\n".join(lines) + "\n"
    (ROOT / "benches" / "RESULTS.md").write_text("# Benchmark results\n\n" + table)
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        readme.write_text(f"{head}{start}\n{table}{end}{tail}")
    print(table)


if __name__ == "__main__":
    main()
