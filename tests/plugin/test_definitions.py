"""The plugin's strings, capabilities, service list, schema and embed signature, checked against the
contract files and the portal's verifying code, so that what a real Moodle says and shows cannot
drift from what the portal and the emulator expect."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from portal.services import embed as portal_embed

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "moodle" / "assignsubmission_streamportal"
STUBS = Path(__file__).parent / "stubs"
CONTRACTS = ROOT.parent / "shared" / "contracts" / "moodle" / "functions"
NAMES = sorted(p.stem for p in CONTRACTS.glob("assignsubmission_streamportal_*.json"))
COMPONENT = "assignsubmission_streamportal"


def php_json(*args: str):
    out = subprocess.run(["php", str(STUBS / "dump.php"), *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def strings() -> dict[str, str]:
    return php_json("lang", str(PLUGIN))


def contract(name: str) -> dict:
    return json.loads((CONTRACTS / f"{name}.json").read_text())


def class_source(name: str) -> str:
    return (PLUGIN / "classes" / "external" / f"{name.removeprefix(COMPONENT + '_')}.php").read_text()


def php_sources() -> str:
    return "\n".join(p.read_text() for p in sorted(PLUGIN.rglob("*.php")))


@pytest.mark.parametrize("name", NAMES)
def test_plugin_errors_are_the_contracts_with_its_messages(strings, name):
    """Every error the function throws with the plugin's own string is in the contract, word for word."""
    errors = {e["response"]["errorcode"]: e["response"] for e in contract(name)["errors"]}
    thrown = re.findall(r"new \\moodle_exception\('(\w+)', '" + COMPONENT + r"'\)", class_source(name))
    for code in thrown:
        assert code in errors, f"{name} throws {code}, which the contract does not list"
        assert errors[code]["exception"] == "moodle_exception"
        assert strings[code] == errors[code]["message"]


@pytest.mark.parametrize("name", NAMES)
def test_contract_errors_of_the_plugin_are_thrown(strings, name):
    """The reverse: each plugin-specific error code of the contract is thrown by the function."""
    core = {"invalidtoken", "accessexception", "invalidparameter", "nopermissions", "invalidrecord",
            "invaliduser", "submissionslocked"}
    source = class_source(name)
    for e in contract(name)["errors"]:
        code = e["response"]["errorcode"]
        if code not in core:
            assert f"'{code}'" in source, f"{name} never throws {code}"
        elif code == "submissionslocked":
            assert f"new \\moodle_exception('{code}'" in source
        elif code == "invaliduser":
            # Core's own class and code for a missing user, as the contract (and the emulator) answer it.
            assert e["response"]["exception"] == "dml_missing_record_exception"
            assert "new \\dml_missing_record_exception('user'" in source


@pytest.mark.parametrize("name", NAMES)
def test_capability_names_in_nopermissions_messages(strings, name):
    """Moodle names the missing capability by its string: "(Record Stream videos for students)"."""
    for e in contract(name)["errors"]:
        r = e["response"]
        if r["errorcode"] == "nopermissions":
            wanted = re.search(r"\((.+)\)\.$", r["message"]).group(1)
            caps = re.findall(r"require_capability\('assignsubmission/(streamportal:\w+)'", class_source(name))
            assert wanted in {strings[c] for c in caps}, (name, wanted, caps)


def test_every_string_the_code_asks_for_exists(strings):
    used = set(re.findall(r"(?:get_string|lang_string)\('([\w:]+)', '" + COMPONENT + r"'\)", php_sources()))
    assert used, "the pattern found nothing"
    assert sorted(used - set(strings)) == []
    # Dynamic ones: every status a video can have has a label.
    for status in ("uploading", "processing", "ready", "error", "expired", "deleted"):
        assert f"status_{status}" in strings
    # Capabilities and privacy metadata.
    for cap in php_json("access", str(PLUGIN), "0"):
        assert cap.replace("assignsubmission/", "") in strings
    for key in re.findall(r"'(privacy:[\w:]+)'", (PLUGIN / "classes/privacy/provider.php").read_text()):
        assert key in strings


def test_statuses_accepted_are_the_contracts():
    for name, cls in (("record_video", "record_video"), ("set_video_status", "set_video_status")):
        spec = contract(f"{COMPONENT}_{name}")["params"]["status"]["description"]
        wanted = [w.strip(" .") for w in spec.split("|")]
        declared = re.search(r"const STATUSES = \[([^\]]*)\]", class_source(f"{COMPONENT}_{cls}")).group(1)
        assert re.findall(r"'(\w+)'", declared) == wanted


@pytest.mark.parametrize("iomad", ["0", "1"])
def test_grader_archetypes_include_iomad_roles_only_on_iomad(iomad):
    caps = php_json("access", str(PLUGIN), iomad)
    view = caps["assignsubmission/streamportal:viewvideos"]["archetypes"]
    assert {"editingteacher", "teacher", "manager"} <= set(view)
    assert ({"companycourseeditor", "companycoursenoneditor"} <= set(view)) == (iomad == "1")
    assert "companycourseeditor" not in view or iomad == "1"
    # Writing and reading other users' company data: the service role only, never an archetype.
    assert caps["assignsubmission/streamportal:recordvideo"]["archetypes"] == []
    assert caps["assignsubmission/streamportal:readusercontext"]["archetypes"] == []


def test_service_lists_iomad_functions_only_where_iomad_declares_them(tmp_path):
    plain = php_json("services", str(PLUGIN), "")["Stream Portal"]["functions"]
    assert set(NAMES) <= set(plain)
    assert not [f for f in plain if f.startswith("block_iomad")]
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "services.php").write_text(
        "<?php $functions = ['block_iomad_company_admin_get_companies' => [], "
        "'block_iomad_company_admin_get_company_courses' => []];")
    iomad = php_json("services", str(PLUGIN), str(tmp_path))["Stream Portal"]["functions"]
    assert set(iomad) - set(plain) == {"block_iomad_company_admin_get_companies",
                                       "block_iomad_company_admin_get_company_courses"}


def test_portal_functions_are_in_the_service():
    """What the portal's client calls, except the IOMAD ones added on IOMAD sites only."""
    client = (ROOT / "portal" / "services" / "moodle.py").read_text()
    called = set(re.findall(r'self\.call\("(\w+)"', client))
    listed = set(php_json("services", str(PLUGIN), "")["Stream Portal"]["functions"])
    assert called and sorted(c for c in called - listed if not c.startswith("block_iomad")) == []


def fields() -> set[str]:
    table = ET.parse(PLUGIN / "db" / "install.xml").getroot().find("TABLES/TABLE")
    return {f.get("NAME") for f in table.find("FIELDS")}


def test_code_writes_only_columns_that_exist():
    written = set(re.findall(r"\$record->(\w+) =", class_source(f"{COMPONENT}_record_video")))
    written |= set(re.findall(r"\$record->(\w+) =", class_source(f"{COMPONENT}_set_video_status")))
    assert written and written <= fields()
    backup = (PLUGIN / "backup/moodle2/backup_assignsubmission_streamportal_subplugin.class.php").read_text()
    listed = re.search(r"'submission_streamportal', \['id'\], \[(.*?)\]\)", backup, re.S).group(1)
    assert set(re.findall(r"'(\w+)'", listed)) == fields() - {"id", "assignment"}


def php_signature(secret: str, uid: str, viewer: int, cmid: int, expires: int) -> str:
    out = subprocess.run(["php", str(STUBS / "sign.php"), str(PLUGIN), secret, uid, str(viewer), str(cmid),
                          str(expires)], capture_output=True, text=True, check=True)
    return out.stdout


@pytest.mark.parametrize("secret,uid,viewer,cmid,expires", [
    ("s3cret", "ea95132c15732412d22c1476fa83f27a", 101, 345, 1732399300),
    ("ünï-cødé secret with spaces", "0" * 32, 2, 1, 2000000000),
])
def test_embed_signature_is_the_documented_one_and_the_portal_accepts_it(secret, uid, viewer, cmid, expires):
    documented = hmac.new(secret.encode(), f"{uid}|{viewer}|{cmid}|{expires}".encode(), hashlib.sha256).hexdigest()
    signed = php_signature(secret, uid, viewer, cmid, expires)
    assert signed == documented
    assert signed == portal_embed.signature(secret, uid, viewer, cmid, expires)
    assert php_signature(secret, uid, viewer + 1, cmid, expires) != signed


def test_readme_documents_the_canonical_string():
    readme = (PLUGIN / "README.md").read_text()
    assert '"<uid>|<viewer>|<cmid>|<expires>"' in readme
    for name in ("uid", "viewer", "cmid", "expires", "sig"):
        assert f"{name}=" in readme
