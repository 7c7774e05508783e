"""Service-item lists from YAML, long and wide tables (CSV in GBK, .xlsx)."""

from __future__ import annotations

import pytest

from coverage.errors import InputError
from coverage.inputs.service_lists import read_service_lists, service_lists_from_mapping

EXPECTED = {"省级清单": ("参保登记", "异地就医备案", "缴费"), "村级清单": ("参保登记", "缴费")}


def test_yaml(tmp_path):
    path = tmp_path / "lists.yaml"
    path.write_text(
        "省级清单: [参保登记, 异地就医备案, 缴费]\n村级清单: 参保登记、缴费\n", encoding="utf-8"
    )
    assert read_service_lists(path) == EXPECTED


def test_long_table_in_gbk(tmp_path):
    path = tmp_path / "lists.csv"
    rows = ["清单名称,服务事项", "省级清单,参保登记", "省级清单,异地就医备案", "省级清单,缴费"]
    rows += ["村级清单,参保登记", "村级清单,\u3000缴费", "村级清单,参保登记", ","]
    path.write_text("\n".join(rows) + "\n", encoding="gbk")
    assert read_service_lists(path) == EXPECTED  # trimmed, full-width space folded, repeats once


def test_wide_workbook(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["省级清单", "村级清单"])
    sheet.append(["参保登记", "参保登记"])
    sheet.append(["异地就医备案", "缴费"])
    sheet.append(["缴费", None])
    path = tmp_path / "lists.xlsx"
    book.save(path)
    assert read_service_lists(path) == EXPECTED


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("lists.yaml", "- a\n- b\n", "must map list names"),
        ("lists.yaml", "a: [\n", "not valid YAML"),
        ("lists.yaml", "村级清单: []\n", "list '村级清单' has no items"),
        ("lists.json", "{}", "unknown service list file type"),
        ("missing.csv", None, "not found"),
    ],
)
def test_bad_list_files(tmp_path, name, text, message):
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        read_service_lists(path)
    assert str(info.value).startswith(str(path))


def test_mapping_validation():
    with pytest.raises(ValueError, match="empty name"):
        service_lists_from_mapping({" ": ["a"]})


def test_a_rule_naming_a_list_the_file_lacks(tmp_path):
    from coverage.config import config_from_dict
    from coverage.pipeline import service_options

    path = tmp_path / "lists.yaml"
    path.write_text("省级清单: [参保登记]\n", encoding="utf-8")
    cfg = config_from_dict(
        {
            "stations": "s.csv",
            "population": "p.tif",
            "network": "n.osm.pbf",
            "service_lists": str(path),
            "service_rules": {"村": {"list": "村级清单"}},
        },
        base_dir=None,
    )
    with pytest.raises(InputError, match=r"lists\.yaml: service_rules: .*'村级清单'.*省级清单"):
        service_options(cfg)
