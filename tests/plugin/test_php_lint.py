"""`php -l` on every PHP file of the companion plugin."""
import subprocess
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[2] / "moodle" / "assignsubmission_streamportal"
FILES = sorted(PLUGIN.rglob("*.php"))


def test_plugin_has_the_files_moodle_expects():
    names = {str(p.relative_to(PLUGIN)) for p in FILES}
    assert {"version.php", "locallib.php", "settings.php", "db/access.php", "db/services.php",
            "db/upgrade.php", "lang/en/assignsubmission_streamportal.php",
            "classes/privacy/provider.php"} <= names
    assert (PLUGIN / "db" / "install.xml").exists()


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PLUGIN)))
def test_php_lint(path):
    result = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
