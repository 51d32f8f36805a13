"""`make audit` (.ci/audit.py): fails on a known vulnerability, and never passes silently when
no vulnerability service could be asked (pip-audit alone would say "no known vulnerabilities")."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_audit", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


audit = _load()
# pip-audit's JSON, as it reports from a PyPI mirror without the JSON API (as on this network).
MIRROR = {
    "dependencies": [
        {"name": "jinja2", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        {"name": "twilio", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ],
    "fixes": [],
}
CLEAN = {"dependencies": [{"name": "jinja2", "version": "3.1.6", "vulns": []}], "fixes": []}
VULNERABLE = {
    "dependencies": [
        {"name": "twilio", "version": "9.3.0", "vulns": []},
        {
            "name": "jinja2",
            "version": "3.1.2",
            "vulns": [
                {
                    "id": "GHSA-h5c8-rqwp-cp95",
                    "fix_versions": ["3.1.3"],
                    "aliases": ["CVE-2024-22195"],
                    "description": "",
                }
            ],
        },
    ],
    "fixes": [],
}
OSV_DOWN = "requests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'"


def _outcome(service: str, report: dict[str, Any] | None, ignore: set[str] | None = None) -> Any:
    if report is None:
        return audit.read(service, 1, "", f"Traceback...\n{OSV_DOWN}\n", ignore or set())
    return audit.read(service, 0, json.dumps(report), "", ignore or set())


def test_a_known_vulnerability_fails_the_audit_and_is_named() -> None:
    code, lines = audit.verdict([_outcome("pypi", VULNERABLE)], required=False)
    assert code == 1
    assert any("jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fix: 3.1.3)" in line for line in lines)


def test_a_clean_environment_passes() -> None:
    code, lines = audit.verdict([_outcome("pypi", CLEAN)], required=True)
    assert code == 0 and "no known vulnerabilities" in lines[-1]


def test_a_reviewed_advisory_can_be_ignored_by_any_of_its_ids() -> None:
    outcome = _outcome("pypi", VULNERABLE, ignore={"CVE-2024-22195"})
    assert audit.verdict([outcome], required=True)[0] == 0


def test_no_service_answering_is_said_loudly_and_fails_when_required() -> None:
    outcomes = [_outcome("pypi", MIRROR), _outcome("osv", None)]
    code, lines = audit.verdict(outcomes, required=False)
    assert code == 0 and lines[0].startswith("AUDIT NOT DONE")
    assert "every package skipped (2)" in lines[1] and "api.osv.dev" in lines[2]
    assert audit.verdict(outcomes, required=True)[0] == 2


def test_the_first_service_that_answers_decides() -> None:
    outcomes = [_outcome("pypi", MIRROR), _outcome("osv", VULNERABLE)]
    code, lines = audit.verdict(outcomes, required=False)
    assert code == 1 and lines[0].startswith("pip-audit (osv): 2 packages audited")
