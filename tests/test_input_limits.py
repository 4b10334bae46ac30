"""Reading input is bounded: file size, nesting depth, no YAML anchors or aliases; and a file
reached through ``extends`` that is not a scenario is named, never quoted.

The cases that could take the machine down if a limit failed (an alias bomb, a 100 MB file)
run in a fresh process under a memory limit (slow); the fast loop checks the same refusals on
small files in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.experiments.experiment import ExperimentError, load_experiment
from sim.model.loading import ScenarioError, load_scenario
from sim.model.yamlfile import MAX_BYTES, MAX_DEPTH

ROOT = Path(__file__).resolve().parents[1]
HEAD = "name: limits\ntitle: Limits\n"

# A "billion laughs": nine levels of nine aliases, 9**9 strings once expanded, from under 1 KB.
BOMB = HEAD + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


# --------------------------------------------------------------------------------------------
# Size


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("w") as f:  # valid YAML all the way, so only the size can refuse it
        f.write(HEAD + "narrative: >\n")
        f.write(("  " + "x" * 98 + "\n") * (MAX_BYTES // 100 + 1))
    started = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - started < 1
    assert found == [f"{path}: the file is larger than {MAX_BYTES:,} bytes, the limit for a scenario or "
                     "experiment file (a scenario is a few KB); check that this is the file you meant"]


def test_an_experiment_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "exp.yaml"
    with path.open("w") as f:
        f.write("# " + "x" * MAX_BYTES + "\nname: e\n")
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(path), None)
    assert f"larger than {MAX_BYTES:,} bytes" in problem.message


# --------------------------------------------------------------------------------------------
# Depth


@pytest.mark.parametrize("style", ["flow", "block"])
def test_nesting_250_levels_deep_is_refused_naming_the_limit(tmp_path, style):
    if style == "flow":
        text = HEAD + "patron: " + "[" * 250 + "]" * 250 + "\n"
        line = 3
    else:
        text = HEAD + "patron:\n" + "".join("  " * (i + 1) + "k:\n" for i in range(250))
        line = 3 + MAX_DEPTH  # the first mapping too deep starts on the line below the last allowed key
    found = problems(write(tmp_path, "deep.yaml", text))
    assert found == [f"{tmp_path / 'deep.yaml'}:{line}: the YAML is nested more than {MAX_DEPTH} levels deep "
                     "(the limit); a scenario or experiment needs a few levels: check the indentation and "
                     "the brackets"]


def test_nesting_up_to_the_limit_is_read(tmp_path):
    # The depth is the only problem up to the limit: the schema then reports the field.
    text = HEAD + "narrative: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    (found,) = problems(write(tmp_path, "ok.yaml", text))
    assert "narrative: expected text" in found


# --------------------------------------------------------------------------------------------
# Anchors and aliases


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    path = write(tmp_path, "bomb.yaml", BOMB)
    assert path.stat().st_size < 1024
    started = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - started < 1
    assert found == [f"{path}:3: YAML anchors and aliases (&a) are not supported; write the value out in "
                     "full where it is used (to share a scenario's settings, use 'extends')"]


@pytest.mark.parametrize(("text", "line", "sign"), [
    ("patron: &p {deal_price: 0.5}\n", 3, "&p"),
    ("patron:\n  <<: *p\n", 4, "*p"),
    ("patron: {deal_price: *x}\n", 3, "*x"),
])
def test_any_anchor_or_alias_is_refused_with_its_line(tmp_path, text, line, sign):
    path = write(tmp_path, "alias.yaml", HEAD + text)
    (found,) = problems(path)
    assert found.startswith(f"{path}:{line}: YAML anchors and aliases ({sign}) are not supported")


def test_an_alias_in_an_experiment_file_is_refused(tmp_path):
    path = write(tmp_path, "exp.yaml", "name: e\ntitle: &t T\nscenarios: [status_quo]\nreplications: 1\nseed: 1\n")
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:2: YAML anchors and aliases (&t) are not supported; write the value out in full where it "
        "is used (to share a scenario's settings, use 'extends')"]


# --------------------------------------------------------------------------------------------
# extends: a file that is not a scenario is named, not quoted


SECRET = "root:x:0:0:hunter2:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


def test_extends_a_file_that_is_not_yaml_names_it_without_reading_it(tmp_path):
    secret = write(tmp_path, "passwd", SECRET)
    child = write(tmp_path, "child.yaml", f"extends: {secret}\n" + HEAD)
    found = problems(child)
    assert found == [f"{child}:1: extends: '{secret}' is not a scenario file: expected the name of a "
                     "shipped scenario or a path to a .yaml or .yml scenario file"]
    assert "hunter2" not in "\n".join(found)


def test_extends_etc_passwd_does_not_print_it(tmp_path):
    child = write(tmp_path, "child.yaml", "extends: /etc/passwd\n" + HEAD)
    (found,) = problems(child)
    assert found.startswith(f"{child}:1: extends: '/etc/passwd' is not a scenario file")
    assert "root:x" not in found and "/bin/bash" not in found


def test_extends_a_yaml_file_that_is_not_a_mapping_does_not_quote_it(tmp_path):
    write(tmp_path, "passwd.yaml", SECRET)
    child = write(tmp_path, "child.yaml", "extends: passwd.yaml\n" + HEAD)
    found = problems(child)
    assert found == [f"{tmp_path / 'passwd.yaml'}:1: the top level must be a mapping of fields "
                     "(name: ..., title: ...); this file is not a scenario"]


def test_extends_a_mapping_without_scenario_fields_does_not_quote_it(tmp_path):
    write(tmp_path, "config.yaml", "password: hunter2\ntoken: abc\n")
    child = write(tmp_path, "child.yaml", "extends: config\n" + HEAD)
    found = problems(child)
    assert len(found) == 1 and found[0].startswith(
        f"{tmp_path / 'config.yaml'}: this file is extended as a scenario but is not one: expected a "
        "mapping of scenario fields (name, title,")
    assert "hunter2" not in found[0] and "password" not in found[0]


def test_an_experiment_naming_a_file_that_is_not_a_scenario(tmp_path):
    write(tmp_path, "passwd", SECRET)
    path = write(tmp_path, "exp.yaml", "name: e\ntitle: t\nscenarios: [passwd]\nreplications: 1\nseed: 1\n")
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:3: scenarios[0]: 'passwd' is not a scenario file: expected the name of a shipped "
        "scenario or a path to a .yaml or .yml scenario file"]


# --------------------------------------------------------------------------------------------
# The same through the command line, in a fresh process with bounded memory


CHILD = """
import json, resource, sys, time
from sim.model.loading import ScenarioError, load_scenario
# Address space now (after the imports) plus 512 MB: an expansion into gigabytes fails loudly.
pages = int(open("/proc/self/statm").read().split()[0])
limit = pages * resource.getpagesize() + 512 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
results = []
for path in sys.argv[1:]:
    started = time.perf_counter()
    try:
        load_scenario(path)
        out = {"ok": True}
    except ScenarioError as err:
        out = {"problems": [str(p) for p in err.problems]}
    out["seconds"] = time.perf_counter() - started
    results.append(out)
print(json.dumps(results))
"""


def _in_child(*paths: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, paths)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the memory limit")
def test_bomb_huge_and_deep_files_are_refused_quickly_in_bounded_memory(tmp_path):
    bomb = write(tmp_path, "bomb.yaml", BOMB)
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as f:  # 100 MB, sparse: nothing is written to disk but the head
        f.write(HEAD.encode())
        f.truncate(100 * 2**20)
    deep = write(tmp_path, "deep.yaml", HEAD + "patron: " + "[" * 100_000 + "]" * 100_000 + "\n")
    results = _in_child(bomb, huge, deep)
    for result, words in zip(results, ("anchors and aliases", "larger than", "nested more than"), strict=True):
        assert result["seconds"] < 1, result
        assert len(result["problems"]) == 1 and words in result["problems"][0], result


@pytest.mark.slow
def test_the_command_line_refuses_them_with_exit_code_2_and_no_traceback(tmp_path):
    bomb = write(tmp_path, "bomb.yaml", BOMB)
    deep = write(tmp_path, "deep.yaml", HEAD + "patron:\n" + "".join("  " * (i + 1) + "k:\n" for i in range(250)))
    child = write(tmp_path, "child.yaml", "extends: /etc/passwd\n" + HEAD)
    done = subprocess.run([sys.executable, "-m", "sim", "validate", str(bomb), str(deep), str(child)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3, done.stderr
    assert lines[0].startswith(f"{bomb}:3: YAML anchors and aliases (&a)")
    assert lines[1].startswith(f"{deep}:")
    assert lines[2].startswith(f"{child}:1: extends: '/etc/passwd' is not a scenario file")
