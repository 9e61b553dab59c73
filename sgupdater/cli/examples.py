"""Two examples for each command's --help (tests/unit/test_help.py parses every one)."""

from __future__ import annotations

A, B = "192.0.2.0/24", "198.51.100.0/24"

_EXAMPLES = {
    "show": (
        f"sgupdater show --from-cidr {A} -p prod -r all",
        f"sgupdater show --from-cidr {A} --prefix-lists --nacls --waf --policies -o json",
    ),
    "update": (
        f"sgupdater update --from-cidr {A} --to-cidr {B} --dry-run --plan-out move.json",
        f"sgupdater update --from-cidr {A} --to-cidr {B} --org-role Ops -r all --yes",
    ),
    "add": (
        f"sgupdater add --from-cidr {A} --to-cidr {B} --dry-run",
        f"sgupdater add --from-cidr {A} --to-cidr {B} -p prod -p staging --yes",
    ),
    "remove": (
        f"sgupdater remove --cidr {A} --only-where {B} --dry-run",
        f"sgupdater remove --cidr {A} --only-where {B} -p prod --yes",
    ),
    "migrate": (
        f"sgupdater migrate --cidr {A} --prefix-list offices --create --dry-run",
        f"sgupdater migrate --cidr {A} --prefix-list pl-0123456789abcdef0 --yes",
    ),
    "apply": (
        "sgupdater apply move.json --sha256 HEX",
        "sgupdater apply move.json --sha256 HEX --yes -o json",
    ),
    "rollback": (
        "sgupdater rollback ~/.local/state/sgupdater/journal-20261202T0830-4242-1a2b.jsonl",
        "sgupdater rollback --last --dry-run",
    ),
    "rewrite": (
        f"sgupdater rewrite infra/ --from-cidr {A} --to-cidr {B} > move.diff",
        f"sgupdater rewrite infra/ --from-cidr {A} --to-cidr {B} --write",
    ),
    "show-plan": (
        "sgupdater show-plan move.json",
        "sgupdater show-plan move.json -o markdown > plan.md",
    ),
}


def examples(command: str) -> tuple[str, ...]:
    """The example command lines of a command."""
    return _EXAMPLES[command]


def epilog(command: str) -> str:
    """The examples as a --help epilog (\\b keeps click from re-flowing the lines)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in _EXAMPLES[command])
