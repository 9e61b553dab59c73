"""sgupdater rewrite: the old range in infrastructure-as-code sources, as a diff git applies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sgupdater.sources import syntax
from testkit import helpers
from testkit.helpers import perm
from tests.e2e.conftest import Aws, Cli

A, B = "192.0.2.0/24", "198.51.100.0/24"
DATA = Path(__file__).parent / "data" / "iac"
MOVE = ("--from-cidr", A, "--to-cidr", B)


# What the fixtures hold: every range left as it is, and every literal rewritten.
_BUILT = "built by interpolation"
_CANNOT = "which range it builds cannot be told from the source"
_ALREADY = f"{B} is already in this list: delete this item instead"
_DERIVED = "the result is derived from it"
KEPT = {
    ("cdk-python/app.py", 11, "keep", "a description"),
    ("cdk-python/app.py", 16, "keep", f"{_BUILT}: {_CANNOT}"),
    ("cdk-typescript/web-stack.ts", 4, "keep", "in a comment"),
    ("cdk-typescript/web-stack.ts", 11, "keep", "a description"),
    ("cdk-typescript/web-stack.ts", 16, "keep", f"{_BUILT}: {_CANNOT}"),
    ("cloudformation/stack.json", 13, "keep", f"{_BUILT} (Fn::Sub): {_CANNOT}"),
    ("cloudformation/stack.yaml", 2, "keep", "a description"),
    ("cloudformation/stack.yaml", 27, "keep", "a description"),
    ("cloudformation/stack.yaml", 31, "keep", f"{_BUILT} (!Sub): {_CANNOT}"),
    ("helm/values.yaml", 3, "keep", _ALREADY),
    ("piculet/Groupfile", 4, "keep", "a description"),
    ("terraform/extra.tf.json", 6, "keep", "a description"),
    ("terraform/main.tf", 22, "keep", _ALREADY),
    ("terraform/main.tf", 27, "keep", f"argument of cidrsubnet(): {_DERIVED}"),
    ("terraform/main.tf", 28, "keep", f"{_BUILT}: {_CANNOT}"),
    ("terraform/main.tf", 29, "keep", "inside a longer string"),
    ("terraform/variables.tf", 1, "keep", "in a comment"),
    ("terraform/variables.tf", 3, "keep", "a description"),
}
REWRITTEN = [
    ("cdk-python/app.py", 4), ("cdk-python/app.py", 13), ("cdk-typescript/web-stack.ts", 5),
    ("cdk-typescript/web-stack.ts", 15), ("cloudformation/stack.json", 11),
    ("cloudformation/stack.json", 12), ("cloudformation/stack.yaml", 6),
    ("cloudformation/stack.yaml", 26), ("cloudformation/stack.yaml", 35),
    ("helm/values.yaml", 6), ("k8s/ingress.yaml", 6), ("k8s/ingress.yaml", 7),
    ("k8s/service.yaml", 10), ("piculet/Groupfile", 9), ("piculet/Groupfile", 14),
    ("sam/template.yaml", 11), ("terraform/extra.tf.json", 5), ("terraform/prod.tfvars", 1),
    ("terraform/variables.tf", 5),
]  # fmt: skip


def _tree(tmp_path: Path, name: str = "infra") -> Path:
    root = tmp_path / name
    shutil.copytree(DATA, root)
    return root


def _bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_every_literal_is_rewritten_and_every_other_mention_reported(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    run = cli("rewrite", "infra", *MOVE, "-o", "json")
    assert run.code == 0, run.err
    found = json.loads(run.out)
    where = {(Path(f["path"]).relative_to("infra").as_posix(), f["line"], f["action"], f["reason"])
             for f in found["findings"]}  # fmt: skip
    assert {w for w in where if w[2] == "keep"} == KEPT
    assert sorted((w[0], w[1]) for w in where if w[2] == "rewrite") == REWRITTEN
    formats = {Path(f["path"]).name: f["format"] for f in found["files"]}
    assert formats["stack.json"] == "CloudFormation template"
    assert formats["template.yaml"] == "SAM template"
    assert formats["service.yaml"] == "Kubernetes manifest"
    assert formats["extra.tf.json"] == "terraform JSON"
    assert formats["app.py"] == "CDK app (Python)"
    assert formats["web-stack.ts"] == "CDK app (TypeScript)"
    assert formats["Groupfile"] == "Piculet Groupfile"
    # Nothing was written: the diff is the proposal.
    assert _bytes(root) == _bytes(DATA)


def test_the_diff_applies_with_git_and_equals_write_and_back_again_is_the_original(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)
    proposed = cli("rewrite", ".", *MOVE, "--detailed-exitcode")
    assert proposed.code == 3, proposed.err
    assert "19 literal(s) to rewrite in 12 file(s), 18 reported, 0 file(s) refused" in proposed.err
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "-q"], check=True, env=env)
    subprocess.run(["git", "apply"], input=proposed.out.encode(), check=True, env=env)
    applied = _bytes(root)
    root = _tree(tmp_path, "again")
    monkeypatch.chdir(root)
    written = cli("rewrite", ".", *MOVE, "--write")
    assert written.code == 0, written.err
    assert {k: v for k, v in _bytes(root).items() if not k.startswith(".git")} == {
        k: v for k, v in applied.items() if not k.startswith(".git")
    }
    again = cli("rewrite", ".", *MOVE, "--detailed-exitcode")
    assert again.code == 0
    assert again.out == ""
    # Every byte outside the rewritten literals is as it was: back again gives the original.
    back = cli("rewrite", ".", "--from-cidr", B, "--to-cidr", A, "--write")
    assert back.code == 0, back.err
    assert _bytes(root) == _bytes(DATA)


def test_hidden_ignored_and_linked_files_are_left_alone_and_modes_kept(
    tmp_path: Path, cli: Cli
) -> None:
    root = tmp_path / "repo"
    (root / ".terraform").mkdir(parents=True)
    (root / "build").mkdir()
    line = f'cidr = "{A}"\n'
    for path in (root / ".terraform" / "cached.tf", root / "build" / "out.tf", root / "main.tf"):
        path.write_text(line)
    (root / ".gitignore").write_text("build/\n")
    (root / "linked.tf").symlink_to(root / "build" / "out.tf")
    (root / "main.tf").chmod(0o640)
    run = cli("rewrite", str(root), *MOVE, "--write")
    assert run.code == 0, run.err
    assert (root / "main.tf").read_text() == f'cidr = "{B}"\n'
    assert (root / "main.tf").stat().st_mode & 0o777 == 0o640
    for left in (".terraform/cached.tf", "build/out.tf"):
        assert (root / left).read_text() == line
    assert (root / "linked.tf").is_symlink()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("nowhere", *MOVE), "no such file or directory"),
        ((".", "--from-cidr", A), "every mapping needs a to-cidr"),
        ((".", "--to-cidr", A), "--to-cidr needs --from-cidr"),
        ((".", *MOVE, "--renumber"), "--renumber goes with --match within"),
        ((".", *MOVE, "--match", "within"), "--match within needs --renumber"),
        ((".", "--from-cidr", A, "--to-cidr", "0.0.0.0/0"), "--allow-open-world"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    run = cli("rewrite", *args)
    assert run.code == 2
    assert says in run.err
    assert len(run.err.strip().splitlines()) == 1


def _owned_group(aws: Aws, tags: dict[str, str]) -> str:
    """A group allowing A whose tags say what code owns it."""
    ec2 = aws.ec2()
    group = helpers.group(ec2, helpers.vpc(ec2), "owned", ingress=(perm(cidrs=(A,)),))
    ec2.create_tags(Resources=[group], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    return group


def test_update_names_where_the_code_owning_a_group_holds_its_range(
    aws: Aws, tmp_path: Path, cli: Cli
) -> None:
    root = _tree(tmp_path)
    group = _owned_group(aws, {"ManagedBy": "terraform"})
    run = cli("update", *MOVE, "--dry-run", "--source", str(root))
    assert run.code == 0, run.err
    said = [line for line in run.err.splitlines() if "owned by code" in line]
    assert len(said) == 1
    assert f"(ManagedBy=terraform): {group} {A}: change it at " in said[0]
    # Terraform's files only, each place as file:line:column.
    spots = said[0].split("change it at ")[1].split(", ")
    assert f"{root}/terraform/variables.tf:5:19" in spots
    assert all("/terraform/" in spot for spot in spots)
    # Without --source the JSON report has no such field; with it, the same places.
    plain = json.loads(cli("update", *MOVE, "--dry-run", "-o", "json").out)
    assert "sources" not in plain
    sourced = json.loads(cli("update", *MOVE, "--dry-run", "--source", str(root), "-o", "json").out)
    assert [row["places"] for row in sourced["sources"]] == [spots]
    applied = cli("update", *MOVE, "--yes", "--source", str(root), "-o", "json")
    assert applied.code == 0, applied.err
    assert [row["places"] for row in json.loads(applied.out)["sources"]] == [spots]


def test_without_the_iac_extra_rewrite_says_what_to_install(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    monkeypatch.setitem(sys.modules, "tree_sitter", None)
    syntax._grammar.cache_clear()
    try:
        run = cli("rewrite", str(root), *MOVE)
    finally:
        syntax._grammar.cache_clear()
    assert run.code == 2
    assert run.err.strip() == (
        "sgupdater: error: rewrite and --source need the iac extra: pip install 'sgupdater[iac]'"
    )
    assert run.out == ""


def test_a_file_that_does_not_parse_is_named_and_fails_the_run(tmp_path: Path, cli: Cli) -> None:
    chart = tmp_path / "templates"
    chart.mkdir()
    text = f"apiVersion: v1\nkind: Service\nspec:\n{{{{- if .Values.x }}}}\n  r: [{A}\n"
    (chart / "service.yaml").write_text(text)
    run = cli("rewrite", str(tmp_path), *MOVE, "--write")
    assert run.code == 1
    assert (
        "service.yaml: Kubernetes manifest does not parse as such (a template?): not read"
        in run.err
    )
    assert (chart / "service.yaml").read_text() == text


def test_show_names_the_manifest_of_a_load_balancer_controllers_group(
    aws: Aws, tmp_path: Path, cli: Cli
) -> None:
    root = _tree(tmp_path)
    tags = {"elbv2.k8s.aws/cluster": "prod", "service.k8s.aws/stack": "default/web"}
    group = _owned_group(aws, tags)
    run = cli("show", "--from-cidr", A, "--source", str(root), "-o", "json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert document["rules"][0]["managed"] == "kubernetes:service default/web"
    [said] = [line for line in run.err.splitlines() if "owned by code" in line]
    assert said.endswith(f"change it at {root}/k8s/service.yaml:10:7")
    # The same places in the JSON report, for a pipeline to read.
    assert document["sources"] == [
        {"container_id": group, "cidr": A, "managed": "kubernetes:service default/web",
         "places": [f"{root}/k8s/service.yaml:10:7"]}
    ]  # fmt: skip
    assert list(document)[-1] == "summary"


def test_a_file_named_but_of_no_known_format_is_said_to_be_left_out(
    tmp_path: Path, cli: Cli
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(f"office: {A}\n")
    run = cli("rewrite", str(notes), *MOVE)
    assert run.code == 0
    assert run.err.strip().endswith("left out: 1 named but of no format read")
