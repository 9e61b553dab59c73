"""What becomes of a literal, and generated files of each format rewritten there and back."""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgupdater.cidrs import Mapping
from sgupdater.engine.planner import Request
from sgupdater.sources import check, diffs, rewrite, syntax
from sgupdater.sources.files import Source
from sgupdater.sources.literals import Rules, decide, hints

A, B = ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("198.51.100.0/24")


def _rules(source: str = "192.0.2.0/24", target: str = "198.51.100.0/24", **how: object) -> Rules:
    mapping = Mapping(ipaddress.ip_network(source), ipaddress.ip_network(target))
    return Rules(Request("update", (mapping,), **how).resolve)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "new", "action"),
    [
        ("192.0.2.0/24", "198.51.100.0/24", "rewrite"),
        ("192.0.2.0/24,10.0.0.0/8", "198.51.100.0/24,10.0.0.0/8", "rewrite"),
        ("10.0.0.0/8, 192.0.2.0/24", "10.0.0.0/8, 198.51.100.0/24", "rewrite"),
        # The new range is there already: the old one goes rather than doubling it.
        ("192.0.2.0/24,198.51.100.0/24", "198.51.100.0/24", "dedupe"),
    ],
)
def test_a_literal_that_is_a_range_or_a_list_of_them_is_rewritten(
    text: str, new: str, action: str
) -> None:
    decision = decide(text, _rules())
    assert decision is not None
    assert (decision.new, decision.action) == (new, action)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("office 192.0.2.0/24", "inside a longer string"),
        ("192.0.2.0/24;10.0.0.0/8", "inside a longer string"),
        ("192.0.2.10", "a bare address where a range is expected"),
    ],
)
def test_a_range_inside_something_else_is_reported_never_changed(text: str, reason: str) -> None:
    decision = decide(text, _rules(match="within", renumber=True))
    assert decision is not None
    assert (decision.new, decision.action, decision.reason) == (None, "keep", reason)


def test_other_literals_are_not_findings() -> None:
    for text in ("10.0.0.0/8", "web", "192.0.2.0/25", "", "AWS::NoValue"):
        assert decide(text, _rules()) is None


def test_within_renumbers_hosts_and_keeps_a_bare_address_bare_where_the_field_takes_one() -> None:
    rules = _rules(match="within", renumber=True)
    host = decide("192.0.2.10/32", rules)
    bare = decide("192.0.2.10", rules, bare=True)
    assert host is not None
    assert bare is not None
    assert (host.new, bare.new) == ("198.51.100.10/32", "198.51.100.10")


def test_the_open_world_is_never_written_without_consent() -> None:
    guarded = _rules(target="0.0.0.0/0")
    decision = decide("192.0.2.0/24", guarded)
    assert decision is not None
    assert decision.new is None
    assert "open it to the world" in decision.reason


# Generated files: ranges that move (A), others that stay, in lists, descriptions, comments.
_OTHER = st.sampled_from(["10.0.0.0/8", "203.0.113.0/24", "172.16.0.0/12", "2001:db8::/32"])
_ITEM = st.one_of(st.just(str(A)), _OTHER)
_NAME = st.from_regex(r"[a-h][a-h_]{0,7}", fullmatch=True)


_NOTE = "# ranges: 192.0.2.0/24"
# Per language: its comment, a list of quoted ranges, and a description, as a line each.
_CODE = {
    "hcl": (_NOTE, "{n}_list = [{q}]", '{n}_description = "was {first}"', '"'),
    "python": (_NOTE, "{n}_list = [{q}]", '{n}_description = "was {first}"', '"'),
    "typescript": ("// ranges: 192.0.2.0/24", "const {n}_list = [{q}];",
                   "const {n}_description = 'was {first}';", "'"),
    "ruby": (_NOTE, "ip_ranges({q})", "description 'was {first}'", "'"),
}  # fmt: skip


def _code(language: str) -> Callable[[list[tuple[str, list[str]]]], str]:
    comment, listed, described, quote = _CODE[language]

    def render(entries: list[tuple[str, list[str]]]) -> str:
        lines = [comment]
        for n, items in entries:
            q = ", ".join(f"{quote}{i}{quote}" for i in items)
            lines += [listed.format(n=n, q=q), described.format(n=n, first=items[0])]
        return "\n".join(lines) + "\n"

    return render


def _yaml(entries: list[tuple[str, list[str]]]) -> str:
    lines = ["# ranges: 192.0.2.0/24"]
    for name, items in entries:
        lines += [f"{name}:", *(f"  - {i}" for i in items), f"{name}Description: was {items[0]}"]
        lines.append(f'{name}Joined: "{",".join(items)}"')
    return "\n".join(lines) + "\n"


def _json(entries: list[tuple[str, list[str]]]) -> str:
    pairs = [f'"{n}": [{", ".join(chr(34) + i + chr(34) for i in items)}]' for n, items in entries]
    return "{\n  " + ",\n  ".join(pairs) + "\n}\n"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    grammar=st.sampled_from(
        [
            ("hcl", "x.tf", _code("hcl")),
            ("yaml", "x.yaml", _yaml),
            ("json", "x.tf.json", _json),
            ("python", "app.py", _code("python")),
            ("typescript", "stack.ts", _code("typescript")),
            ("ruby", "Groupfile", _code("ruby")),
        ]
    ),
    entries=st.lists(
        st.tuples(_NAME, st.lists(_ITEM, min_size=1, max_size=4, unique=True)),
        min_size=1,
        max_size=5,
        unique_by=lambda e: e[0],
    ),
)
def test_rewriting_there_and_back_gives_the_original_bytes(
    tmp_path: Path, grammar: tuple[str, str, object], entries: list[tuple[str, list[str]]]
) -> None:
    name, filename, render = grammar
    text = render(entries)  # type: ignore[operator]
    path = tmp_path / filename
    path.write_text(text)
    source = Source(path, name, name)
    there = rewrite.rewrite(source, _rules())
    assert not there.refused
    # Every list item that was A (and, in YAML, every joined string holding it) moves; the
    # descriptions and comments naming A are reported instead.
    moved = sum(str(A) in items for _, items in entries) * (2 if name == "yaml" else 1)
    assert there.changes == moved
    assert {f.reason for f in there.findings if f.action == "keep"} <= {
        "a description", "in a comment"}  # fmt: skip
    path.write_bytes(there.after)
    back = rewrite.rewrite(source, _rules("198.51.100.0/24", "192.0.2.0/24"))
    assert not back.refused
    assert back.after == text.encode()


@pytest.mark.parametrize(
    ("grammar", "before", "after"),
    [
        ("json", '{"Cidr": "192.0.2.0/24", "Port": 22}', '{"Cidr": "198.51.100.0/24", "Port": 23}'),
        (
            "yaml",
            "Cidr: !Ref A\nRanges: [192.0.2.0/24]\n",
            "Cidr: !Ref B\nRanges: [198.51.100.0/24]\n",
        ),
        ("python", 'x = ["192.0.2.0/24"]\ny = 1\n', 'x = ["198.51.100.0/24"]\ny = 2\n'),
    ],
)
def test_the_check_tells_a_rewrite_from_any_other_change(
    grammar: str, before: str, after: str
) -> None:
    pairs = [(str(A), str(B))]
    moved = before.replace(str(A), str(B))
    assert check.differs(grammar, before, moved, pairs) == ""
    assert check.differs(grammar, before, after, pairs) != ""
    with pytest.raises(ValueError, match="Error"):
        check.differs(grammar, before, moved + "\n}'[", pairs)


def test_a_file_changed_since_it_was_read_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text(f'cidr = "{A}"\n')
    done = rewrite.rewrite(Source(path, "terraform", "hcl"), _rules())
    assert done.changes == 1
    path.write_text(f'cidr = "{A}" # edited by someone else\n')
    with pytest.raises(rewrite.ChangedSinceRead):
        rewrite.write(done)
    assert path.read_text() == f'cidr = "{A}" # edited by someone else\n'
    link = tmp_path / "link.tf"
    link.symlink_to(path)
    linked = rewrite.rewrite(Source(link, "terraform", "hcl"), _rules())
    with pytest.raises(rewrite.ChangedSinceRead):
        rewrite.write(linked)


def _patched(old: list[str], diff: list[str]) -> list[str]:
    """The lines a unified diff makes of `old` (a patch tool's reading of the hunks)."""
    out: list[str] = []
    at = 0
    for line in diff[2:]:
        if line.startswith("@@"):
            start = int(line.split()[1][1:].split(",")[0]) - 1
            out += old[at:start]
            at = start
        elif line.startswith((" ", "-")):
            assert old[at] == line[1:], "context or removed line not in the file"
            at += 1
            if line.startswith(" "):
                out.append(line[1:])
        else:
            out.append(line[1:])
    return out + old[at:]


@settings(max_examples=200, deadline=None)
@given(
    old=st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d"]), min_size=1, max_size=30),
    changed=st.sets(st.integers(min_value=0, max_value=29), max_size=6),
)
def test_the_diff_of_a_rewrite_makes_the_rewritten_file(old: list[str], changed: set[int]) -> None:
    # A rewrite changes text inside lines: the same lines, some of them different.
    new = [line.upper() if n in changed else line for n, line in enumerate(old)]
    made = list(diffs.unified("x", old, new))
    assert _patched(old, made) == new
    # The same hunks as difflib's where lines do not repeat (it may align repeats otherwise).
    if len(set(old)) == len(old):
        assert made == list(difflib.unified_diff(old, new, "a/x", "b/x"))


@pytest.mark.parametrize(
    ("grammar", "before", "moved", "other"),
    [
        ("hcl", b'a = "192.0.2.0/24"\n', b'a = "198.51.100.0/24"\n', b'a = ["192.0.2.0/24"]\n'),
        ("typescript", b"const a = '192.0.2.0/24';\n", b"const a = '198.51.100.0/24';\n",
         b"const a = ['192.0.2.0/24'];\n"),
        ("ruby", b"ip_ranges '192.0.2.0/24'\n", b"ip_ranges '198.51.100.0/24'\n",
         b"ip_ranges ['192.0.2.0/24']\n"),
    ],
)  # fmt: skip
def test_without_a_parser_of_its_own_the_tree_must_keep_its_shape(
    grammar: str, before: bytes, moved: bytes, other: bytes
) -> None:
    parsed = syntax.parse(grammar, before)
    assert syntax.reparse(grammar, before, parsed, moved, [_edit(before, moved)]) == ""
    assert "structure" in syntax.reparse(grammar, before, parsed, other, [_edit(before, other)])
    broken = before.replace(b"/24", b"/24'\"")
    assert "not parse" in syntax.reparse(grammar, before, parsed, broken, [_edit(before, broken)])


def _edit(before: bytes, after: bytes) -> tuple[int, int, str]:
    """The one span of `before` that `after` replaces, and its new text."""
    start = next(n for n, (a, b) in enumerate(zip(before, after, strict=False)) if a != b)
    tail = 0
    while tail < min(len(before), len(after)) - start and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    return start, len(before) - tail, after[start : len(after) - tail].decode()


def test_a_range_fixing_no_octet_has_every_literal_looked_at(tmp_path: Path) -> None:
    wide, moved = ipaddress.ip_network("10.0.0.0/7"), ipaddress.ip_network("12.0.0.0/7")
    assert hints([wide]) == ()
    assert hints([A]) == ("192.0.2.",)
    rules = Rules(Request("update", (Mapping(wide, moved),)).resolve, hints=hints([wide]))
    path = tmp_path / "main.tf"
    path.write_text('cidr = ["10.0.0.0/7", "10.0.0.0/8"]  # 10.0.0.0/7\n')
    done = rewrite.rewrite(Source(path, "terraform", "hcl"), rules)
    assert done.after == b'cidr = ["12.0.0.0/7", "10.0.0.0/8"]  # 10.0.0.0/7\n'
    assert [f.reason for f in done.findings if f.action == "keep"] == ["in a comment"]
