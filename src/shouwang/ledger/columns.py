"""The ledger columns clerks use (interfaces.md), and how the ledger's header is found.

Glossary: 台账 ledger · 花名册 roster · 表头 header · 合计 total row.
"""

from __future__ import annotations

# normalise_header: classes.py, values.py and services.mapping_for still import it from here;
# they move to shouwang.core.sheets.columns with their owners' next edit, and it goes.
from shouwang.core.sheets.columns import Column, ColumnSet, normalise_header  # noqa: F401
from shouwang.core.sheets.layout import Layout
from shouwang.core.sheets.layout import find_layout as find_sheet_layout
from shouwang.core.sheets.reader import Row

COLUMNS = [
    Column("name", "姓名", ("学生姓名", "儿童姓名"), required=True),
    Column("gender", "性别", required=True),
    Column("ethnicity", "民族"),
    Column("birth_date", "出生日期", ("出生年月", "出生年月日", "生日")),
    Column("id_number", "身份证号", ("身份证号码", "公民身份号码", "身份证"), required=True),
    Column("school", "学校", ("学校名称", "就读学校")),
    Column("grade", "年级", ("就读年级",)),
    Column("school_class", "班级", ("就读班级", "班别")),
    Column("boarding", "是否住校", ("住校", "寄宿", "是否寄宿", "住校生")),
    Column("address", "家庭住址", ("住址", "家庭地址", "现住址")),
    Column("father.name", "父亲姓名"),
    Column("father.phone", "父亲电话", ("父亲联系电话", "父亲手机")),
    Column("father.status", "父亲状况", ("父亲状态", "父亲情况")),
    Column("father.work_place", "父亲务工地", ("父亲务工地点", "父亲打工地点", "父亲外出地")),
    Column("father.away_since", "父亲外出时间", ("父亲外出日期", "父亲外出年月", "父亲离家时间")),
    Column("mother.name", "母亲姓名"),
    Column("mother.phone", "母亲电话", ("母亲联系电话", "母亲手机")),
    Column("mother.status", "母亲状况", ("母亲状态", "母亲情况")),
    Column("mother.work_place", "母亲务工地", ("母亲务工地点", "母亲打工地点", "母亲外出地")),
    Column("mother.away_since", "母亲外出时间", ("母亲外出日期", "母亲外出年月", "母亲离家时间")),
    Column("guardian.name", "监护人姓名", ("监护人", "委托监护人", "委托监护人姓名")),
    Column("guardian.relation", "与儿童关系", ("监护人与儿童关系", "与学生关系", "关系")),
    Column("guardian.age", "监护人年龄"),
    Column("guardian.phone", "监护人电话", ("监护人联系电话", "监护人手机")),
    Column("guardian.health", "监护人健康状况"),
    Column("health", "健康状况", ("身体状况", "儿童健康状况")),
    Column("personality", "性格特征", ("性格",)),
    Column("hobbies", "兴趣爱好", ("爱好",)),
    Column("note", "备注"),
    # The home village, matched to the county's village names: the village child director's.
    Column("home_village", "村（社区）", ("村(居)", "所在村", "户籍村", "村社区", "村")),
]
BY_KEY = {c.key: c for c in COLUMNS}
# Sub-headers under a two-row "父亲" / "母亲" / "监护人" group: 姓名 / 电话 / 务工地 …
GROUPS = {"父亲": "father", "母亲": "mother", "监护人": "guardian"}
SUB_HEADERS = {
    "姓名": "name",
    "电话": "phone",
    "联系电话": "phone",
    "手机": "phone",
    "状况": "status",
    "状态": "status",
    "情况": "status",
    "务工地": "work_place",
    "务工地点": "work_place",
    "外出地": "work_place",
    "外出时间": "away_since",
    "打工地点": "work_place",
    "年龄": "age",
    "关系": "relation",
    "与儿童关系": "relation",
    "健康状况": "health",
}

LEDGER = ColumnSet(tuple(COLUMNS), GROUPS, SUB_HEADERS)


def find_layout(first_rows: list[Row], mapping: dict[str, str] | None = None) -> Layout | None:
    """The ledger's header among the first rows, read with the words the unit taught."""
    return find_sheet_layout(first_rows, LEDGER, mapping)
