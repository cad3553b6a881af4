"""Static analysis (ASVS V15.1): bandit over app/ at medium severity and confidence and above
(`bandit -r app -ll -ii`, also run by `make test` before pytest) has 0 unwaived findings; a
waiver (`# nosec BXXX`) says why on the same line.

Figure: 0 findings; N waivers, all with a reason."""

import json
import re
import subprocess
import sys
from pathlib import Path

from rel_support import figure

ROOT = Path(__file__).resolve().parent.parent.parent


def test_bandit_finds_nothing_unwaived():
    bandit = Path(sys.executable).with_name("bandit")
    done = subprocess.run([str(bandit), "-q", "-r", "app", "-ll", "-ii", "-f", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(done.stdout)
    findings = [(r["test_id"], r["filename"], r["line_number"]) for r in report["results"]]
    waivers = []
    for path in (ROOT / "app").rglob("*.py"):
        for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            m = re.search(r"#\s*nosec\b(.*)$", line)
            if m:
                waivers.append((str(path.relative_to(ROOT)), n, m.group(1).strip()))
    unexplained = [w for w in waivers if not re.match(r"B\d{3}\S*\s*[:-]?\s*\S.{5,}", w[2])]
    figure("bandit", f"bandit -r app -ll -ii: {len(findings)} findings, exit {done.returncode}; "
                     f"{len(waivers)} nosec waivers, {len(unexplained)} without a reason")
    assert done.returncode == 0 and not findings, findings
    assert not unexplained, unexplained
