"""Audit the installed environment for dependencies with known vulnerabilities (pip-audit).

Runs pip-audit against each vulnerability service in AUDIT_SERVICES (default `pypi,osv`) until
one answers, then fails (exit 1) on any known vulnerability not listed in AUDIT_IGNORE (comma-
separated advisory ids, each with its reason in docs/operations.md). A service "answers" when
it could audit at least one package: PyPI mirrors without the JSON API answer 404 for every
package, and pip-audit then reports "no known vulnerabilities" having checked nothing.

When no service answers, the audit did not happen: that is said loudly, and the exit is 0 so a
network without those services can still build, unless AUDIT_REQUIRED=1 (exit 2). Run it with
`make audit`; `.ci/run` runs it before the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field


@dataclass
class Outcome:
    """What one service made of the environment."""

    service: str
    audited: int = 0
    skipped: list[str] = field(default_factory=list)
    vulnerable: list[str] = field(default_factory=list)  # "package version: id (fix: x)"
    error: str | None = None  # the service could not be asked at all

    @property
    def answered(self) -> bool:
        return self.error is None and self.audited > 0


def read(service: str, returncode: int, stdout: str, stderr: str, ignore: set[str]) -> Outcome:
    """pip-audit's JSON report (or its failure) as an Outcome."""
    outcome = Outcome(service)
    try:
        report = json.loads(stdout)
    except ValueError:
        last = (stderr.strip().splitlines() or [f"exit {returncode}"])[-1]
        outcome.error = last[:160]
        return outcome
    for dependency in report.get("dependencies", []):
        name = dependency.get("name", "?")
        if "skip_reason" in dependency:
            outcome.skipped.append(name)
            continue
        outcome.audited += 1
        for vuln in dependency.get("vulns", []):
            ids = {vuln.get("id", "?"), *vuln.get("aliases", [])}
            if ids & ignore:
                continue
            fixes = ", ".join(vuln.get("fix_versions", [])) or "none yet"
            outcome.vulnerable.append(
                f"{name} {dependency.get('version', '?')}: {vuln.get('id', '?')} (fix: {fixes})"
            )
    return outcome


def verdict(outcomes: list[Outcome], required: bool) -> tuple[int, list[str]]:
    """The exit code and what to print, from the services tried in order."""
    for outcome in outcomes:
        if not outcome.answered:
            continue
        lines = [f"pip-audit ({outcome.service}): {outcome.audited} packages audited"]
        if outcome.skipped:
            lines.append(f"  not audited: {', '.join(sorted(outcome.skipped))}")
        if outcome.vulnerable:
            lines += ["KNOWN VULNERABILITIES:", *(f"  {v}" for v in outcome.vulnerable)]
            lines.append("Upgrade them (pyproject.toml), or list a reviewed id in AUDIT_IGNORE.")
            return 1, lines
        return 0, [*lines, "  no known vulnerabilities"]
    lines = ["AUDIT NOT DONE: no vulnerability service answered."]
    for outcome in outcomes:
        why = outcome.error or f"every package skipped ({len(outcome.skipped)})"
        lines.append(f"  {outcome.service}: {why}")
    lines.append("  Run `make audit` where PyPI's JSON API or OSV answers (docs/operations.md).")
    return (2 if required else 0), lines


def run(service: str, ignore: set[str]) -> Outcome:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--vulnerability-service",
        service,
        "--format",
        "json",
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--timeout",
        "30",
    ]
    try:
        done = subprocess.run(  # noqa: S603 - a fixed command line of our own
            command, capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        return Outcome(service, error="timed out after 600 s")
    return read(service, done.returncode, done.stdout, done.stderr, ignore)


def main() -> int:
    services = [s.strip() for s in os.environ.get("AUDIT_SERVICES", "pypi,osv").split(",")]
    ignore = {i.strip() for i in os.environ.get("AUDIT_IGNORE", "").split(",") if i.strip()}
    outcomes: list[Outcome] = []
    for service in filter(None, services):
        outcomes.append(run(service, ignore))
        if outcomes[-1].answered:
            break
    code, lines = verdict(outcomes, os.environ.get("AUDIT_REQUIRED") == "1")
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
