#!/usr/bin/env python3
"""Runs action.yml's shell steps here, the way GitHub's runner would, with the
release asset served from dist/ instead of github.com (a `curl` stand-in on
PATH), to check the install, scan and result steps end to end. `uses:` steps
(the SARIF upload) are reported, not run.

Usage: tools/try-action.py DIST_DIR WORK_DIR KEY=VALUE...  (the action's inputs)
Prints each step's output and the action's outputs; exits with the job's status.
Needs PyYAML.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent

CURL_STAND_IN = """#!/usr/bin/env bash
# curl ... -o FILE URL: copies dist/<asset> for a release URL.
set -euo pipefail
out="" url=""
while [ $# -gt 0 ]; do
    case "$1" in
        -o) out=$2; shift 2 ;;
        --retry) shift 2 ;;
        -*) shift ;;
        *) url=$1; shift ;;
    esac
done
case "$url" in
    https://github.com/*/releases/download/*) cp "$DIST_DIR/${url##*/}" "$out" ;;
    *) echo "curl stand-in: unexpected URL $url" >&2; exit 22 ;;
esac
"""


def main() -> int:
    dist, work = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    action = yaml.safe_load((REPO / "action.yml").read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    for pair in sys.argv[3:]:
        name, value = pair.split("=", 1)
        assert name in inputs, f"no input {name}"
        inputs[name] = value
    bin_dir, temp = work / "bin", work / "runner-temp"
    action_path = work / "_actions" / "someone" / "muslcheck" / f"v{inputs['version']}"
    for directory in (bin_dir, temp, action_path):
        directory.mkdir(parents=True, exist_ok=True)
    (bin_dir / "curl").write_text(CURL_STAND_IN)
    (bin_dir / "curl").chmod(0o755)
    github_path = work / "github-path"
    github_path.write_text("")
    outputs: dict[str, dict[str, str]] = {}

    def expand(text: str) -> str:
        def value(match: re.Match) -> str:
            expression = match.group(1).strip()
            if expression.startswith("inputs."):
                return inputs[expression.removeprefix("inputs.")]
            step_output = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
            if step_output:
                return outputs.get(step_output.group(1), {}).get(step_output.group(2), "")
            raise ValueError(f"expression not handled here: {expression}")
        return re.sub(r"\$\{\{(.*?)\}\}", value, text)

    for step in action["runs"]["steps"]:
        name = step.get("name", step.get("id", "?"))
        if "uses" in step:
            condition = step.get("if", "")
            sarif = outputs.get("scan", {}).get("sarif", "")
            would_run = inputs["upload-sarif"] == "true" and sarif != ""
            with_values = {k: expand(str(v)) for k, v in step.get("with", {}).items()}
            print(f"--- {name}: {step['uses']} {'would run' if would_run else 'skipped'} ({condition}) with {with_values}")
            continue
        output_file = work / f"output-{step.get('id', 'step')}"
        output_file.write_text("")
        extra_path = [line for line in github_path.read_text().splitlines() if line]
        env = {
            "PATH": os.pathsep.join([str(bin_dir), *extra_path, os.environ["PATH"]]),
            "HOME": str(work),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_TEMP": str(temp),
            "GITHUB_PATH": str(github_path),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_ACTION_PATH": str(action_path),
            "DIST_DIR": str(dist),
            **{key: expand(str(value)) for key, value in step.get("env", {}).items()},
        }
        print(f"--- {name}")
        # `shell: bash` on GitHub's runners: bash --noprofile --norc -eo pipefail {0}.
        script = work / f"step-{len(outputs)}.sh"
        script.write_text(expand(step["run"]))
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], env=env
        )
        if "id" in step:
            outputs[step["id"]] = dict(
                line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
            )
        if result.returncode != 0:
            print(f"--- {name} failed: exit {result.returncode}; outputs {outputs}")
            return result.returncode
    print(f"--- outputs {outputs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
