"""Guards over the source: no SQL built from strings, no secret compared with == or !=.

Each guard is an AST scan of our packages; each is checked against a small bad example too, so
a guard that stopped finding anything would fail here rather than pass quietly.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "storage", "admin", "webhooks", "conversations")

# --- SQL ---------------------------------------------------------------------------------------

SQL_CALLS = {"text", "execute", "exec_driver_sql", "executemany", "literal_column"}
SQL_WORDS = re.compile(
    r"\b(SELECT\b.*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|ALTER\s+TABLE|"
    r"CREATE\s+(UNIQUE\s+)?(TABLE|INDEX)|DROP\s+(TABLE|INDEX)|TRUNCATE|WHERE\s+\w+\s*=)",
    re.S,
)


def _sources() -> Iterator[tuple[str, ast.AST]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"))


def _is_built(node: ast.AST) -> bool:
    """An f-string with values, `%` or `+` on strings, or `.format(…)` / `.join(…)`."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    )


def _literal(node: ast.AST) -> str:
    """The constant text inside a built string (to see whether it reads like SQL)."""
    parts = (sub.value for sub in ast.walk(node) if isinstance(sub, ast.Constant))
    return " ".join(part for part in parts if isinstance(part, str))


def string_built_sql(tree: ast.AST) -> dict[int, str]:
    """Lines where `tree` gives a SQL call a built string, or builds a string that reads as SQL."""
    found: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in SQL_CALLS and _is_built(node.args[0]):
                found.setdefault(node.lineno, ast.unparse(node)[:80])
        if isinstance(node, ast.expr) and _is_built(node) and SQL_WORDS.search(_literal(node)):
            found.setdefault(node.lineno, ast.unparse(node)[:80])
    return found


def test_no_sql_is_built_from_strings() -> None:
    problems = [
        f"{path} line {line}: {code}"
        for path, tree in _sources()
        for line, code in string_built_sql(tree).items()
    ]
    assert problems == [], "use bound parameters or SQLAlchemy constructs:\n" + "\n".join(problems)


def test_the_sql_guard_finds_what_it_is_for() -> None:
    bad = '''
session.execute(text(f"SELECT * FROM contacts WHERE address = '{address}'"))
connection.exec_driver_sql("DELETE FROM outbox WHERE id = %s" % row_id)
query = "UPDATE contacts SET language = '{}'".format(lang)
session.execute("SELECT 1 FROM x WHERE y = " + value)
'''
    good = '''
session.execute(text("SELECT * FROM contacts WHERE address = :a"), {"a": address})
message = f"{count} rows selected from the export"
'''
    assert sorted(string_built_sql(ast.parse(bad))) == [2, 3, 4, 5]
    assert string_built_sql(ast.parse(good)) == {}


# --- secrets compared in constant time ------------------------------------------------------------

SECRET_NAME = re.compile(
    r"secret|signature|passw|csrf|hmac|digest|api_?key|cookie|(^|_)token(_hash)?$|(^|_)stamp$",
    re.I,
)
# (file, name): comparisons that look like secrets but are not timing-sensitive, and why.
ALLOWED = {
    # A SQL lookup of SHA-256(token) by its unique index: the attacker cannot steer the hash,
    # so how long the lookup takes says nothing about the token.
    ("storage/api_tokens.py", "token_hash"),
}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    if isinstance(node, ast.Call):
        func = node.func
        # secret.encode() is still the secret; headers.get(…) is named by what it gets.
        if isinstance(func, ast.Attribute) and func.attr in ("encode", "decode", "strip"):
            return _name(func.value)
        return _name(func)
    return ""


def secret_comparisons(tree: ast.AST) -> list[tuple[int, str]]:
    """`==` / `!=` where a side is named like a secret (not against a literal such as None)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            continue
        sides = [node.left, *node.comparators]
        if any(isinstance(side, ast.Constant) for side in sides):
            continue
        for side in sides:
            if SECRET_NAME.search(_name(side)):
                found.append((node.lineno, _name(side)))
                break
    return found


def test_secrets_are_compared_in_constant_time() -> None:
    problems = [
        f"{path} line {line}: {name}"
        for path, tree in _sources()
        for line, name in secret_comparisons(tree)
        if (path, name) not in ALLOWED
    ]
    assert problems == [], "compare secrets with hmac.compare_digest:\n" + "\n".join(problems)


def test_the_secret_guard_finds_what_it_is_for() -> None:
    bad = """
if request.headers.get("X-Telegram-Bot-Api-Secret-Token") == settings.webhook_secret: pass
ok = signature != expected
if form["csrf"] == session.csrf: pass
if given == who.stamp: pass
if api_token == presented: pass
matches = [secret.encode("utf-8") == given for secret in accepted]
"""
    good = """
if hmac.compare_digest(signature, expected): pass
if secret is None or token_id == 3 or tokens == words: pass
"""
    assert len(secret_comparisons(ast.parse(bad))) == 6
    assert secret_comparisons(ast.parse(good)) == []
