"""The plugin's web-service declarations agree with the contract files the emulator follows,
so the plugin and the emulator cannot drift apart."""
from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "moodle" / "assignsubmission_streamportal"
CONTRACTS = ROOT.parent / "shared" / "contracts" / "moodle" / "functions"
NAMES = sorted(p.stem for p in CONTRACTS.glob("assignsubmission_streamportal_*.json"))

# Contract type words -> Moodle PARAM_* cleaning types.
TYPES = {"int": "int", "float": "float", "bool": "bool"}


@pytest.fixture(scope="module")
def declared():
    out = subprocess.run(["php", str(Path(__file__).parent / "stubs" / "describe.php"), str(PLUGIN)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def contract(name):
    return json.loads((CONTRACTS / f"{name}.json").read_text())


def expected_type(text: str) -> str:
    if text.startswith("list<int>"):
        return "list<int>"
    param = re.search(r"PARAM_(\w+)", text)
    if param:
        return param.group(1).lower()
    for prefix, moodle_type in TYPES.items():
        if text.startswith(prefix):
            return moodle_type
    raise AssertionError(f"contract type not understood: {text}")


def test_every_contract_function_is_declared(declared):
    assert NAMES and sorted(declared) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_parameters_match(declared, name):
    params = declared[name]["params"]["keys"]
    spec = contract(name)["params"]
    assert list(params) == list(spec), "parameter names and order"
    for key, p in spec.items():
        got = params[key]
        want = expected_type(p["type"])
        if want == "list<int>":
            assert got["kind"] == "list" and got["content"]["type"] == "int"
        else:
            assert got["type"] == want, key
        if p["required"]:
            assert got["required"] == "required", key
        else:
            assert got["required"] == "default", key
            assert got["default"] == p["default"] or float(got["default"]) == float(p["default"]), key


def keys_of(desc):
    if desc["kind"] == "structure":
        return {k: keys_of(v) for k, v in desc["keys"].items()}
    if desc["kind"] == "list":
        return [keys_of(desc["content"])]
    return None


def shape_of(value):
    if isinstance(value, dict):
        return {k: shape_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape_of(value[0])] if value else []
    return None


@pytest.mark.parametrize("name", NAMES)
def test_return_keys_match_the_example(declared, name):
    returns = keys_of(declared[name]["returns"])
    example = shape_of(contract(name)["example_response"])
    if example.get("warnings") == []:       # an empty list in the example: any warnings shape
        example["warnings"] = returns.get("warnings")
    assert returns == example


@pytest.mark.parametrize("name", NAMES)
def test_capabilities_exist_in_access_php(declared, name):
    access = (PLUGIN / "db" / "access.php").read_text()
    for cap in re.findall(r"assignsubmission/streamportal:\w+", declared[name]["capabilities"]):
        assert f"'{cap}'" in access


def test_install_xml_has_the_record_columns():
    table = ET.parse(PLUGIN / "db" / "install.xml").getroot().find("TABLES/TABLE")
    fields = {f.get("NAME") for f in table.find("FIELDS")}
    assert {"assignment", "userid", "streamuid", "status", "sizebytes", "durationseconds", "uploadedat",
            "deleteafter", "timecreated", "timemodified"} <= fields
    unique = [i.get("FIELDS") for i in table.find("INDEXES") if i.get("UNIQUE") == "true"]
    assert "streamuid" in unique


def test_version_declares_41_to_45():
    version = (PLUGIN / "version.php").read_text()
    assert "$plugin->supported = [401, 405];" in version
    assert "$plugin->requires  = 2022112800;" in version
