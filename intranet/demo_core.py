"""The core's demo records: a department tree, its people and the demo logins, by bulk insert.

Ids and materialised paths are computed here, so departments and people go in as a few chunked
multi-row INSERTs even at province scale (≈ 2,500 units, 200,000 people).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, text

from .extensions import db
from .idnumber import make_id_number
from .imports.framework import bulk_insert
from .models import Department, Person, User

# Area codes python-stdnum knows for every birth year (1955–2010): the ID numbers validate
# without the "unknown area" warning. Local (Fujian) codes come first and are the most common.
AREA_CODES = ["350121", "350121", "350121", "360121", "330122", "330127", "340121", "340421",
              "140121", "152531", "152501", "110105", "120104", "310104", "422823", "429001"]

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
            "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万"
            "钱严覃武戴莫孔向汤")
SURNAME_WEIGHTS = [1 / (i + 6) for i in range(len(SURNAMES))]
MALE_FIRST = "建志海晓文俊浩宇子明国永德家立振伟春光金长世鹏天嘉军"
MALE_SECOND = "国强波东斌杰然轩豪辉华明军平刚伟峰林涛勇超鹏飞龙祥昊宁"
MALE_SINGLE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆峰林彬晨毅锋坤亮"
FEMALE_FIRST = "秀桂丽红雪晓海玉美淑婉慧静佳雨梓欣思诗若可月春彩凤"
FEMALE_SECOND = "英兰芳华梅燕娟霞琴萍婷怡萱桐琪涵琳雯莹洁颖丹玲倩"
FEMALE_SINGLE = "芳娜敏静丽艳娟霞玲燕红梅琳婷雪慧颖倩洁萍莉琴云瑶璐晶岚薇丹"

# 市直部门: name, code suffix, carries out administrative enforcement (执法部门).
DEPARTMENTS = [
    ("司法局", "SFJ", True), ("市场监督管理局", "SJJ", True), ("城市管理局", "CGJ", True),
    ("生态环境局", "HJJ", True), ("交通运输局", "JTJ", True), ("卫生健康委员会", "WJW", True),
    ("教育局", "JYJ", True), ("公安局", "GAJ", True), ("自然资源局", "ZRJ", True),
    ("农业农村局", "NYJ", True), ("文化和旅游局", "WLJ", True), ("应急管理局", "YJJ", True),
    ("税务局", "SWJ", True), ("人民政府办公室", "ZFB", False), ("发展和改革委员会", "FGW", True),
    ("财政局", "CZJ", True), ("人力资源和社会保障局", "RSJ", True), ("住房和城乡建设局", "ZJJ", True),
    ("水利局", "SLJ", True), ("林业局", "LYJ", True), ("商务局", "SWU", True),
    ("民政局", "MZJ", True), ("审计局", "SJI", True), ("统计局", "TJJ", True),
    ("医疗保障局", "YBJ", True), ("工业和信息化局", "GXJ", True), ("科学技术局", "KJJ", False),
    ("退役军人事务局", "TYJ", False), ("信访局", "XFJ", False), ("机关事务服务中心", "JGS", False),
    ("人民防空办公室", "RFB", True), ("体育局", "TYU", True), ("档案馆", "DAG", False),
    ("国有资产监督管理委员会", "GZW", False), ("粮食和物资储备局", "LSJ", True), ("民族宗教事务局", "MZZ", True),
    ("气象局", "QXJ", True), ("烟草专卖局", "YCJ", True), ("住房公积金管理中心", "GJJ", False),
    ("融媒体中心", "RMT", False), ("数据资源管理局", "SZJ", False), ("供销合作社联合社", "GXS", False),
    ("地方金融监督管理局", "JRJ", True), ("行政审批局", "SPJ", False), ("消防救援大队", "XFD", True),
]

CITY_NAMES = [("永安市", "350481"), ("清源市", "350500"), ("龙溪市", "350600"), ("建宁市", "350700"),
              ("南浦市", "350800"), ("鹤林市", "350900"), ("平川市", "351000"), ("云峰市", "351100"),
              ("东湖市", "351200"), ("福安市", "351300"), ("长汀市", "351400"), ("泰和市", "351500")]
PLACE_FIRST = "清平安永宁龙云福建长泰德华新丰兴顺明溪金石桂松梅桃杏兰竹柳青白红黄东西南北上下大小高"
PLACE_SECOND = "溪安平宁和源阳山江川丰城泉田湖口坪洋坑岭桥塘村洲峰林沙口州埔头浦港"
TOWN_SUFFIXES = [("镇", 0.6), ("乡", 0.25), ("街道", 0.15)]

TITLES_DEPARTMENT = ["科长", "副科长", "一级主任科员", "二级主任科员", "三级主任科员", "四级主任科员",
                     "一级科员", "二级科员", "科员", "办事员"]
TITLES_ENFORCEMENT = ["执法大队长", "执法中队长", "执法队员", "执法队员", "执法队员", "稽查员"]
TITLES_TOWN = ["党政办主任", "综治办主任", "科员", "科员", "办事员", "四级主任科员", "综合执法队员"]
TITLES_AUXILIARY = ["协管员", "辅助人员", "办事员", "驾驶员", "窗口服务人员", "网格员"]

STAFFING = [("行政编制", 55), ("事业编制", 25), ("合同工", 7), ("临时工", 5), ("劳务派遣", 5), ("公益性岗位", 3)]
STATUSES = [("在岗", 900), ("退休", 40), ("调离", 30), ("辞职", 10), ("病休", 15), ("辞退", 3), ("开除", 2)]

LOGINS = {
    "admin": ("demo-xitong-2024", "admin", "系统管理员"),
    "sfj": ("demo-sifaju-2024", "bureau", None),
    "dwgly": ("demo-danwei-2024", "dept_admin", None),
    "zfry": ("demo-zhifa-2024", "staff", None),
    "dc": ("demo-ducha-2024", "inspector", "督察"),
}


def _weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class _Tree:
    """Departments as plain rows with precomputed ids and paths."""

    def __init__(self, ctx, first_id: int):
        self.ctx, self.next_id, self.rows, self.codes = ctx, first_id, [], set()
        self.enforcing: set[int] = set()

    def add(self, code, name, kind, parent=None, enforcement=False) -> dict:
        assert code not in self.codes, code
        self.codes.add(code)
        row = {"id": self.next_id, "code": code, "name": name, "kind": kind,
               "parent_id": parent["id"] if parent else None,
               "path": f"{parent['path'] if parent else '/'}{self.next_id}/", "active": True}
        self.next_id += 1
        self.rows.append(row)
        if enforcement:
            self.enforcing.add(row["id"])
        return row

    def place_name(self, used: set, suffix: str) -> str:
        rng = self.ctx.rng
        while True:
            name = rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND) + suffix
            if name not in used:
                used.add(name)
                return name


def _build_tree(ctx, params, first_id: int) -> _Tree:
    tree = _Tree(ctx, first_id)
    rng = ctx.rng
    cities = params.get("cities", 1)
    province = None
    if cities > 1:
        province = tree.add("350000", "示范省", "其他")
    county_names: set = set()
    for c in range(cities):
        city_name, city_code = CITY_NAMES[c % len(CITY_NAMES)]
        if c >= len(CITY_NAMES):
            city_name, city_code = f"第{c + 1}市", f"35{c + 1:02d}00"
        city = tree.add(city_code, city_name, "市", province)
        for name, suffix, enforcement in DEPARTMENTS[: params["city_departments"]]:
            tree.add(f"{city_code}-{suffix}", f"{city_name}{name}", "市直部门", city, enforcement)
        for j in range(params["counties"]):
            kind_suffix = "区" if j < max(1, params["counties"] // 4) else "县"
            county_name = tree.place_name(county_names, kind_suffix)
            county_code = f"{city_code[:4]}{(2 + j) if kind_suffix == '区' else (21 + j):02d}"
            county = tree.add(county_code, county_name, "县(区)", city)
            for name, suffix, enforcement in DEPARTMENTS[: params["county_departments"]]:
                tree.add(f"{county_code}-{suffix}", f"{county_name}{name}", "县(区)直部门", county, enforcement)
            town_names: set = set()
            numbers = {"街道": 1, "镇": 100, "乡": 200}
            for _t in range(params["townships"]):
                suffix = _weighted(rng, TOWN_SUFFIXES)
                if suffix == "街道" and kind_suffix == "县" and rng.random() < 0.7:
                    suffix = "镇"
                town = tree.place_name(town_names, suffix)
                tree.add(f"{county_code}{numbers[suffix]:03d}", town, "乡镇(街道)", county, enforcement=True)
                numbers[suffix] += 1
    return tree


def _person_name(rng, female: bool) -> str:
    if rng.random() < 0.3:
        given = rng.choice(FEMALE_SINGLE if female else MALE_SINGLE)
    elif female:
        given = rng.choice(FEMALE_FIRST) + rng.choice(FEMALE_SECOND)
    else:
        given = rng.choice(MALE_FIRST) + rng.choice(MALE_SECOND)
    return rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0] + given


def _head_titles(dept: dict) -> tuple[str, str]:
    name = dept["name"]
    if dept["kind"] == "乡镇(街道)":
        head = "街道办事处主任" if name.endswith("街道") else ("乡长" if name.endswith("乡") else "镇长")
        return head, "副" + head.replace("街道办事处", "")
    if dept["kind"] in ("市", "县(区)"):
        return "办公室主任", "办公室副主任"
    head = "主任" if name.endswith(("委员会", "办公室", "中心", "联合社")) else (
        "馆长" if name.endswith("馆") else "大队长" if name.endswith("大队") else "局长")
    return head, "副" + head


def _people_rows(ctx, params, tree: _Tree, first_id: int) -> list[dict]:
    rng, today = ctx.rng, date(ctx.year, 12, 31) if ctx.year < date.today().year else date.today()
    seen_ids: set[str] = set()
    rows, next_id = [], first_id
    low, high = params["staff"]
    for dept in tree.rows:
        head, deputy = _head_titles(dept)
        enforcing = dept["id"] in tree.enforcing
        is_town = dept["kind"] == "乡镇(街道)"
        qualification_rate = 0.3 if dept["code"].endswith("-SFJ") else 0.045
        for i in range(rng.randint(low, high)):
            female = rng.random() < 0.42
            staffing = "行政编制" if i < 4 else _weighted(rng, STAFFING)
            formal = staffing in ("行政编制", "事业编制")
            status = "在岗" if i < 4 else _weighted(rng, STATUSES)
            age = rng.randint(60, 66) if status == "退休" else rng.randint(23, 59)
            born = date(ctx.year - age, 1, 1) + timedelta(days=rng.randint(0, 364))
            while True:
                number = make_id_number(rng.choice(AREA_CODES), born, rng.randint(0, 999), female)
                if number not in seen_ids:
                    seen_ids.add(number)
                    break
            if i == 0:
                title = head
            elif i < 3:
                title = deputy
            elif not formal:
                title = rng.choice(TITLES_AUXILIARY)
            else:
                title = rng.choice(TITLES_TOWN if is_town else TITLES_DEPARTMENT)
            enforcement_post = False
            if enforcing and i >= 1:
                share = (0.35 if is_town else 0.6) if formal else 0.08   # a few irregular non-formal ones
                enforcement_post = i == 3 or rng.random() < share
                if enforcement_post and formal and not is_town and rng.random() < 0.4:
                    title = rng.choice(TITLES_ENFORCEMENT)
            changed = None if status == "在岗" else today - timedelta(days=rng.randint(10, 1000))
            rows.append({
                "id": next_id, "name": _person_name(rng, female), "id_number": number,
                "department_id": dept["id"], "title": title, "staffing": staffing,
                "enforcement_post": enforcement_post, "status": status, "status_changed_on": changed,
                "legal_qualification": formal and rng.random() < qualification_rate,
                "phone": "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9)),
            })
            next_id += 1
    return rows


def reset_sequence(table_name: str) -> None:
    """After inserts with explicit ids, move PostgreSQL's sequence past them (SQLite needs nothing)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.execute(text(
        f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
        f"COALESCE((SELECT MAX(id) FROM \"{table_name}\"), 0) + 1, false)"
    ))


def _pick(people: list[dict], department_id: int, **wanted) -> dict:
    for p in people:
        if p["department_id"] == department_id and all(p[k] == v for k, v in wanted.items()):
            return p
    raise LookupError(f"no demo person in department {department_id} with {wanted}")


def _make_logins(ctx, tree: _Tree) -> None:
    by_code = {d["code"]: d for d in tree.rows}
    root_code = next(d["code"] for d in tree.rows if d["kind"] == "市")
    justice, market = by_code[f"{root_code}-SFJ"], by_code[f"{root_code}-SJJ"]
    officer = _pick(ctx.people, market["id"], staffing="行政编制", enforcement_post=True, status="在岗")
    links = {
        "sfj": (None, _pick(ctx.people, justice["id"], status="在岗")),
        "dwgly": (market, _pick(ctx.people, market["id"], status="在岗")),
        "zfry": (market, officer),
    }
    for username, (password, role, display) in LOGINS.items():
        dept, person = links.get(username, (None, None))
        user = User(username=username, display_name=display or person["name"], role=role,
                    department_id=dept["id"] if dept else None, person_id=person["id"] if person else None)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        ctx.users[username] = user.id


def make_core_records(ctx, params) -> None:
    """Fill the database (and ``ctx.departments`` / ``ctx.people``) for one demo scale."""
    first_dept = (db.session.scalar(select(func.max(Department.id))) or 0) + 1
    first_person = (db.session.scalar(select(func.max(Person.id))) or 0) + 1
    tree = _build_tree(ctx, params, first_dept)
    people = _people_rows(ctx, params, tree, first_person)
    bulk_insert(Department, tree.rows)
    bulk_insert(Person, people)
    reset_sequence("department")
    reset_sequence("person")
    ctx.departments = [{k: d[k] for k in ("id", "code", "name", "kind", "parent_id", "path")} for d in tree.rows]
    ctx.people = [{k: p[k] for k in ("id", "name", "department_id", "title", "staffing", "enforcement_post",
                                     "status", "legal_qualification")} for p in people]
    ctx.echo(f"已生成 {len(ctx.departments)} 个单位、{len(ctx.people)} 名人员")
    _make_logins(ctx, tree)
