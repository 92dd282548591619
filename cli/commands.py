"""The one table of the ``laiqu`` commands: name → where the command lives, and its short help.

A command's module is imported only when the command runs (or its own ``--help`` is asked):
``laiqu --version`` and ``laiqu --help`` import no command module, no SQLAlchemy, no registry.
The short help shown by ``laiqu --help`` is kept here for that reason;
``tests/cli/test_help.py`` checks it against the first sentence of the command's docstring.

To add a command: write it in a module of ``cli`` and add one line below, ``name: (target,
short help)``, where target is ``"cli.module:attribute"`` (a ``click.Command`` or ``Group``).
"""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("cli.initdb:init", "创建或升级数据库（执行全部迁移，alembic upgrade head）。"),
    "jurisdiction": ("cli.places:jurisdiction", "辖区：市 → 区县 → 派出所 → 社区/村 → 网格。"),
    "venue": ("cli.places:venue", "场所：旅馆（含房间）、租赁中介、社区服务站。"),
    "house": (
        "cli.places:house",
        "房屋：地址、房东、用途、核定居住人数、租赁备案、治安责任保证书。",
    ),
    "employer": ("cli.places:employer", "用工单位：名称、统一社会信用代码、辖区、申报从业人数。"),
    "person": ("cli.people:person", "人员：登记、查看（完整证件号码）、轨迹、查找。"),
    "checkin": (
        "cli.desk:checkin",
        "旅客入住：--reader 等待刷卡（--guests 人数），或 --id/--name 手工录入。",
    ),
    "checkout": ("cli.desk:checkout", "旅客退房（核销）：按 --room 房间或按 --id 证件号码。"),
    "frontdesk": ("cli.desk:frontdesk", "小旅馆前台循环：刷证件 → 输入房间号 → 回车，即完成入住。"),
    "desk": (
        "cli.deskpage:desk",
        "旅馆前台页面：在本机浏览器中刷卡登记入住、退房，查看在住旅客和上报情况。",
    ),
    "checkin-group": (
        "cli.group:checkin_group",
        "团队入住：按旅行社的团队名单（CSV）一次登记全团。",
    ),
    "movein": (
        "cli.housing:movein",
        "租客迁入（居住登记）：--reader 刷卡，或 --id/--name 手工录入。",
    ),
    "moveout": ("cli.housing:moveout", "租客迁出（注销居住登记，走有核销）。"),
    "job": ("cli.housing:job", "就业登记：人员到单位上岗（start）和离职（end）。"),
    "check": (
        "cli.findings:check",
        "运行人证、人房、人岗比对，按问题代码和辖区列出未处理的问题。",
    ),
    "finding": (
        "cli.finding:finding",
        "比对问题：列出、查看，处理后销号（逾期申报 PH-LATE 等事实类问题）。",
    ),
    "guests": (
        "cli.guests:guests",
        "在住旅客：一家旅馆或一个辖区内各旅馆现在在住的旅客，以及今天入住、今天退房的旅客。",
    ),
    "import": (
        "cli.transfer:import_group",
        "从 CSV 批量导入人员、房屋、单位（UTF-8 或 GBK/GB18030 编码）。",
    ),
    "export": (
        "cli.transfer:export_group",
        "把人员、房屋、单位导出为 CSV（证件号码默认脱敏，公式已中和）。",
    ),
    "demo": (
        "cli.demo:demo",
        (
            "演示：建一个样例城市，用模拟读卡器刷卡办理入住、退房、迁入、迁出，列出发现的问题，"
            "生成月报。"
        ),
    ),
    "serve": (
        "cli.serve:serve",
        "派出所服务：/api/v1 HTTP 接口（OpenAPI 文档在 /api/v1/openapi.json）。",
    ),
    "reader": ("cli.reader:reader", "身份证读卡器：查找、读卡、连续读卡、运行模拟器。"),
    "report": ("cli.report:report", "报表：流动人口居住登记月报（PDF）。"),
    "permit": ("cli.permit:permit", "居住证：申领条件、签发、年度签注、待签注和已中止名单。"),
    "rule": (
        "cli.rules:rule",
        "登记规则（期限、豁免、比例）：按辖区设置，下级继承，自生效日起适用。",
    ),
    "overdue": (
        "cli.overdue:overdue",
        "超期未注销的居住登记：列出、注销或延期（每次操作都记录经办人）。",
    ),
    "user": (
        "cli.users:user",
        ("登记来去系统的用户：身份（PostgreSQL 登录名或本机账户）、角色和权限范围（管理员）。"),
    ),
    "audit": ("cli.audit:audit_group", "审计日志：谁查看过某人、日志是否完整未被篡改（管理员）。"),
    "purge": ("cli.purge:purge", "按保存期限清除到期记录（个人信息保护法：到期删除或匿名化）。"),
    "sync": (
        "cli.sync:sync",
        "上报：前台离线登记的记录上报派出所（在线推送，或经网闸用文件导出导入）。",
    ),
}
