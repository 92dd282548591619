"""The Chinese wording of the core's messages, for every adapter (command line, station
service, desk page).

The core raises errors with stable English messages (registry.errors); each adapter shows a
user the Chinese sentence found here, with what to do. A message with no wording here is shown
as it is."""

from __future__ import annotations

import functools
import re

from registry.identity.text import LABELS

# (pattern of a core message, Chinese wording); groups are substituted in order.
PHRASES: list[tuple[str, str]] = [
    (p, t)
    for p, t in [
        # References from list rows, finding acknowledgement, corrections (issue 19).
        (r"^give at least (\d+) last digits", "证件号码末几位至少要给出 {0} 位"),
        (
            r"^a name is needed: this number is not registered yet",
            "此人尚未登记：请同时用 --name 给出姓名",
        ),
        (
            "^a person is needed: a document number",
            "请给出人员：证件号码、人员编号或证件号码末几位",
        ),
        (
            "^a person reference is at most 64 characters",
            "人员编号最多 64 个字符",
        ),
        (
            "^no person you may see matches (.+)",
            "在您的权限范围内没有与 {0} 相符的人员；请核对，或给出完整证件号码",
        ),
        (
            "^'(.*)' names no person",
            "“{0}”不是人员的证件号码、编号或证件号码末几位：请给出完整证件号码、人员编号"
            "（8 位以上）或证件号码末 4 位以上",
        ),
        (
            "^(.+) matches (\\d+)(?: and more)? persons: (.+); choose one",
            "{0} 对应 {1} 个人员：{2}；请用方括号中的编号指定其中一人",
        ),
        *[
            (
                rf"^(\S+) is the start of (\d+) {kind} ids: (.+); give more",
                f"{{0}} 是 {{1}} 个{word}编号的开头：{{2}}；请从中选一个，给出方括号中更长的编号",
            )
            for kind, word in [("venue", "场所"), ("house", "房屋"), ("employer", "单位")]
        ],
        *[
            (
                rf"^(\S+) names (\d+) {kind}s, by name and by the start of an id: (.+); give",
                f"{{0}} 对应 {{1}} 个{word}（既是名称或门牌，又是编号的开头）：{{2}}；"
                "请给出方括号中的编号",
            )
            for kind, word in [("venue", "场所"), ("house", "房屋"), ("employer", "单位")]
        ],
        (
            r"^the record was voided on (\S+): (.*)",
            "该登记已于 {0} 作废（{1}）：不能再退房、迁出、换房或作废",
        ),
        (
            r"^venue not registered at the station",
            "本场所尚未在派出所（接收端）登记：请派出所先登记本场所，再重新上报",
        ),
        *[
            (
                rf"^the {kind}s are in different jurisdictions \((\S+) kept, (\S+) merged\)",
                f"两个{word}不在同一辖区（保留的在 {{0}}，被合并的在 {{1}}）：合并后登记将转到 "
                f"{{0}}；确认无误请加 --across（注意先写保留的，再写重复的）",
            )
            for kind, word in [("venue", "场所"), ("house", "房屋"), ("employer", "单位")]
        ],
        (
            r"^a (venue|house|employer) is needed: its id",
            "请给出编号（列表中的 8 位编号或完整编号）或名称",
        ),
        (
            r"^employer '(.+)' is an id reference that names no employer",
            "没有编号以“{0}”开头的单位：请核对编号（employer list），或给出单位名称、"
            "统一社会信用代码；编号不会被当作新单位的名称",
        ),
        (
            "^(\\S+) is the start of (\\d+) finding ids: (.+); give more",
            "{0} 是 {1} 个问题编号的开头：{2}；请多给几位编号",
        ),
        (
            "^no person with id (\\S+) is registered",
            "没有编号为 {0} 的人员",
        ),
        (
            "^this person has no open finding to acknowledge",
            "此人没有可销号的未处理问题（销号只适用于逾期申报 PH-LATE 等事实类问题，"
            "或用 --code 指定）",
        ),
        (
            "^this person has (\\d+) open findings: (.+); choose one",
            "此人有 {0} 个未处理的问题：{1}；请用方括号中的问题编号指定其中一个",
        ),
        (
            "^this person has no chip read to take the data from",
            "此人没有读卡记录，不能采用读卡信息：请直接给出要更正的项",
        ),
        (
            "^nothing to correct",
            "没有要更正的内容：请给出 --name、--gender、--birth、--ethnicity、"
            "--phone 或 --from-card",
        ),
        (
            "^finding PC-EXPIRED resolves by itself",
            "PC-EXPIRED 不能手工销号：刷读有效证件（本证或新证）后自动消除",
        ),
        (
            "^finding PC-DISAGREE resolves by itself",
            "PC-DISAGREE 不能手工销号：用 laiqu person correct 更正人员信息"
            "（可加 --from-card 采用读卡信息）后自动消除",
        ),
        (
            "^finding PC-MANUAL resolves by itself",
            "PC-MANUAL 不能手工销号：在前台刷读证件后自动消除",
        ),
        (
            "^finding PC-TWO-PLACES resolves by itself",
            "PC-TWO-PLACES 不能手工销号：办理一处的退房或迁出后自动消除",
        ),
        (
            "^finding PH-NO-HOUSE resolves by itself",
            "PH-NO-HOUSE 不能手工销号：登记居住（laiqu movein）后自动消除",
        ),
        (
            "^finding PH-OVER-CAPACITY resolves by itself",
            "PH-OVER-CAPACITY 不能手工销号：更正核定人数或为已离开的人办理迁出后自动消除",
        ),
        (
            "^finding PH-UNFILED resolves by itself",
            "PH-UNFILED 不能手工销号：办理房屋备案、登记房东、签订保证书"
            "（laiqu house update）后自动消除",
        ),
        (
            "^finding PH-OVERDUE-DEPARTURE resolves by itself",
            "PH-OVERDUE-DEPARTURE 不能手工销号：办理迁出，"
            "或用 laiqu overdue cancel|extend 注销或延期后自动消除",
        ),
        (
            "^finding PJ-UNKNOWN-EMPLOYER resolves by itself",
            "PJ-UNKNOWN-EMPLOYER 不能手工销号：登记该单位（laiqu employer add）后自动消除",
        ),
        (
            "^finding PJ-NO-RESIDENCE resolves by itself",
            "PJ-NO-RESIDENCE 不能手工销号：登记居住（laiqu movein）后自动消除",
        ),
        (
            "^finding PJ-HEADCOUNT resolves by itself",
            "PJ-HEADCOUNT 不能手工销号：更正申报人数或就业登记后自动消除",
        ),
        (
            r"^finding (\S+) resolves by itself",
            "{0} 不能手工销号：情况消除后自动关闭",
        ),
        # The core's access refusals (registry/access.py); the lead says 超出权限.
        (r"^out of scope \[venue\]: \S+ (\S+)", "{0} 无权使用此场所（已记入审计日志）"),
        (r"^out of scope \[house\]: \S+ (\S+)", "{0} 无权查看或登记此房屋（已记入审计日志）"),
        (r"^out of scope \[employer\]: \S+ (\S+)", "{0} 无权查看或登记此单位（已记入审计日志）"),
        (r"^out of scope \[person\]: \S+ (\S+)", "{0} 无权查看此人员（已记入审计日志）"),
        (
            r"^out of scope \[jurisdiction\]: \S+ (\S+) may not act in (\S+)",
            "{0} 无权在辖区 {1} 操作（已记入审计日志）",
        ),
        (
            r"^out of scope \[reveal\]: \S+ (\S+)",
            "{0} 无权查看完整证件号码（已记入审计日志）",
        ),
        (
            r"^out of scope \[kind\]: (\S+) (\S+) at a venue of kind (\S+) may not "
            r"employment\.write",
            "{1}（{0}）所在场所的类别是 {2}，不能登记就业（人岗）：只有用工单位（类别 employer）"
            "的前台可以登记本单位的上岗和离职，中介和派出所也可以（已记入审计日志）",
        ),
        (
            r"^out of scope \[kind\]: (\S+) (\S+) at a venue of kind (\S+) may not (\S+)",
            "{1}（{0}）所在场所的类别是 {2}，无权执行 {3}（已记入审计日志）",
        ),
        (
            r"^out of scope \[role\]: (\S+) (\S+) may not (\S+)",
            "{1}（{0}）无权执行 {2}（已记入审计日志）",
        ),
        (
            r"^user (\S+) is not a registry user or is disabled",
            "{0} 不是来去系统的用户或已被停用：请管理员运行 laiqu user add",
        ),
        (r"^user (\S+) already exists", "用户 {0} 已经存在"),
        (
            r"^(.+) is a (\w+), not a rental intermediary",
            "{0} 不是租房中介（类型为 {1}）：房屋只能托管给中介",
        ),
        (r"^the house is entrusted to (.+) already", "该房屋已托管给 {0}"),
        (
            r"^a name may not hold a run of digits",
            "姓名中不能有连续的数字：请检查是否把证件号码或电话填进了姓名",
        ),
        (
            r"^a name may not hold control or format characters",
            "姓名中不能有控制字符或格式字符（如文字方向控制符）：请重新输入姓名",
        ),
        (
            r"^a (desk|intermediary) user has no database login",
            "前台（desk）和中介（intermediary）用户不能有数据库登录：现场设备只通过派出所服务"
            "接入，请为该用户签发 API 凭据",
        ),
        (
            r"^the audit key file (\S+) is missing",
            "审计密钥文件 {0} 不存在，而审计日志已有记录：不能换用新密钥。请从备份恢复该文件，"
            "或用 LAIQU_AUDIT_KEY_FILE 指明它的位置",
        ),
        (r"^the audit key file (\S+) cannot be read", "审计密钥文件 {0} 无法读取"),
        (
            r"^the audit log holds an entry past its head \(entry (\d+)\)",
            "审计日志已被篡改：链头之后还有第 {0} 条记录（不是由本系统写入的）。未做任何更改。"
            "请立即保全数据库并报告",
        ),
        (
            r"^the audit key file (\S+) does not fit this database's audit log",
            "审计密钥文件 {0} 与本库的审计日志不符（不是写下这些记录的那把密钥）：未做任何更改。"
            "请用 LAIQU_AUDIT_KEY_FILE 指明本库自己的密钥文件，或在未设置该变量的终端里运行",
        ),
        (
            r"^the audit key file (\S+) is open to others",
            "审计密钥文件 {0} 其他用户也能读取或改写：请运行 chmod 600 {0}",
        ),
        (
            r"^the audit key file (\S+) is not a key",
            "审计密钥文件 {0} 的内容不是密钥（应为 64 个十六进制字符）",
        ),
        (
            r"^the audit log does not verify before re-keying: (.+)",
            "审计日志在改用密钥文件之前核对失败（{0}）：请保全数据库并报告，暂不能升级",
        ),
        (
            r"^check out either a room or one guest's ID number",
            "退房请给出房间号或一位旅客的证件号码（二者选一）",
        ),
        (r"^a password needs at least (\d+) characters", "密码至少需要 {0} 个字符"),
        (r"^a device needs a name of at most 64 characters", "设备名称不能为空，最多 64 个字符"),
        (
            r"^device (.+) of (\S+) already has a token",
            "用户 {1} 的设备“{0}”已有令牌：请先用 laiqu user revoke-token 吊销",
        ),
        (r"^device (.+) of (\S+) holds no token", "用户 {1} 的设备“{0}”没有有效令牌"),
        (r"^user (\S+) is already disabled", "用户 {0} 已被停用"),
        (r"^user (\S+) is not registered", "用户 {0} 尚未登记"),
        (r"^role must be one of (.+), not (.+)", "角色只能是 {0}（收到 {1}）"),
        (r"^a coordinator needs a jurisdiction", "协管员需要 --jurisdiction 辖区"),
        (r"^a (\w+) user needs a venue", "{0} 用户需要 --venue 场所"),
        (r"^a reveal needs a reason", "查看完整信息必须用 --reason 说明理由"),
        (
            r"^unknown document type '(.+)'; types are (.+)",
            "不认识的证件类型“{0}”，可用的类型：{1}",
        ),
        (r"^a legal hold needs a reason", "法律保全需要说明理由"),
        (r"^this person has no open legal hold", "此人没有未解除的法律保全"),
        (r"^the number of samples cannot be negative", "样例数不能为负数"),
        (
            r"^jurisdiction (\S+) is not registered",
            "辖区 {0} 尚未登记",
        ),
        (
            r"^jurisdiction (\S+) already exists",
            "辖区 {0} 已经存在",
        ),
        *[
            (
                rf"^jurisdiction code '(.*)' is not a {level} code",
                f"辖区代码“{{0}}”不是有效的{name}代码：应为 {shape}（不能含 _、%、/ 等符号）",
            )
            for level, name, shape in [
                ("city", "市级", "4 位或 6 位数字（GB/T 2260，如 4403 或 440300）"),
                ("district", "区县级", "6 位数字（GB/T 2260，如 440304）"),
                ("station", "派出所", "8 到 12 位数字（如 440304001）"),
                ("community", "社区", "10 到 12 位数字（如 44030400101）"),
                ("grid", "网格", "1 到 16 位数字或大写字母（如 G01）"),
            ]
        ],
        (
            r"^level must be one of (.+), not (.+)",
            "级别只能是 {0}（收到 {1}）",
        ),
        (
            r"^a (\w+) needs a parent jurisdiction",
            "{0} 级辖区需要 --parent 上级辖区",
        ),
        (
            r"^venue '(.+)' is not registered",
            "场所“{0}”尚未登记",
        ),
        (
            r"^(\d+) venues are named '(.+)': (.+); name one as",
            "有 {0} 个场所都叫“{1}”：{2}；请写成“名称@辖区代码”，或给出场所编号的前 8 位",
        ),
        (
            r"^house '(.+)' is not registered",
            "房屋“{0}”尚未登记",
        ),
        (
            r"^employer '(.+)' is not registered; register it first",
            "单位“{0}”尚未登记；请先登记单位，或用 --jurisdiction 记录未登记单位的就业",
        ),
        (
            r"^employer '(.+)' is not registered",
            "单位“{0}”尚未登记：请核对名称、统一社会信用代码或编号（laiqu employer list）",
        ),
        (
            r"^an employer with credit code (\S+) is already registered",
            "统一社会信用代码 {0} 的单位已经登记",
        ),
        (
            r"^no person with ID number (\S+) is registered",
            "证件号码 {0} 的人员尚未登记",
        ),
        (
            r"^this person is not registered yet: give the name too",
            "此人尚未登记：请同时用 --name 给出姓名",
        ),
        (
            r"^database (\S+) has LC_CTYPE (\S+): pg_trgm finds no trigrams",
            "数据库 {0} 的字符分类（LC_CTYPE）为 {1}，pg_trgm 无法从中文中提取三元组，"
            "姓名和地址搜索将逐行扫描全表；请用 UTF-8 的 LC_CTYPE 重新创建数据库，例如 "
            "CREATE DATABASE {0} TEMPLATE template0 ENCODING 'UTF8' "
            "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'，再运行 laiqu init",
        ),
        (
            r"^ID number (\S+) is registered under another name",
            "证件号码 {0} 已登记为另一个姓名；请核对号码和姓名，或改用读卡登记",
        ),
        (
            r"^the check character of this (.+) number is wrong",
            "证件号码的校验位不对",
        ),
        (
            r"^the birth date inside the number is (not a real date|impossible)",
            "证件号码中的出生日期不成立",
        ),
        (
            r"^a resident ID number has 18 characters",
            "居民身份证号码应为 18 位：17 位数字加一位数字或 X",
        ),
        (
            r"^(\S+) is not a resident ID, residence-permit or foreign",
            "{0} 不是身份证、居住证或外国人永久居留证号码；护照请注明证件类型 passport"
            "（命令行用 --doc-type passport）",
        ),
        (
            r"^room '(.*)' is not a room of (.+)",
            "{1} 没有房间“{0}”",
        ),
        (
            r"^nobody is checked in at (.+), room (.+)",
            "{0} {1} 房间没有在住旅客",
        ),
        (
            r"^(\S+) is not checked in at (.+)",
            "{0} 没有在 {1} 入住",
        ),
        (
            r"^(.+) \((\S+)\) is already checked in at (.+), room (.+)",
            "{0}（{1}）已在 {2} {3} 房间入住，请先退房",
        ),
        (
            r"^(.+) is a (\w+), not a hotel",
            "{0} 不是旅馆，不能办理旅客入住",
        ),
        (
            r"^the same document is listed twice in one check-in",
            "同一证件在一次入住中出现了两次",
        ),
        (
            r"^(\S+) already lives in this house from (\S+);",
            "{0} 自 {1} 起已住在此房屋，请先办理迁出或更正日期",
        ),
        (
            r"^(\S+) does not live in this house",
            "{0} 未在此房屋居住登记",
        ),
        (
            r"^(\S+) already works at (.+)",
            "{0} 已在 {1} 就业",
        ),
        (
            r"^(\S+) does not work at (.+)",
            "{0} 未在 {1} 就业登记",
        ),
        (
            r"^unknown finding code (\S+);",
            "没有问题代码 {0}（代码见 laiqu check --help）",
        ),
        (
            r"^a name is needed",
            "需要姓名",
        ),
        (
            r"^nothing to change",
            "没有要修改的内容：请给出房东、核定人数、备案号、保证书、地址、门牌、用途或房间数",
        ),
        (
            r"^the (stay|residence|employment|event|heartbeat)'s (\w+) has no time zone",
            "上报的{0}中{1}没有写明时区（UTC 偏移）：按北京时间会差 8 小时，已拒收。"
            "请让前台程序以带时区的时间上报",
        ),
        (
            r"^the event's detail holds a full ID number",
            "上报的事件记录中含有完整的证件号码：事件记录只能以编号指代人员，已拒收",
        ),
        (
            r"^the event's detail is longer than (\d+) characters",
            "上报的事件记录内容超过 {0} 个字符，已拒收",
        ),
        (
            r"^the (stay|residence|employment|event|heartbeat)'s (\w+) is in the future",
            "上报的{0}中{1}晚于派出所收到它的时间（超过 5 分钟）：请核对前台电脑的日期、时间和"
            "时区后重新登记",
        ),
        (
            r"^the (move-in|move-out|start|end) day (\S+) is in the future",
            "日期 {1} 还没到，请在当天或之后登记",
        ),
        (
            r"^(\w+) must be a whole number between 0 and 100000",
            "{0}必须是 0 到 100000 之间的整数",
        ),
        (
            r"^the gender \((.+)\) does not agree with ID number (\S+)",
            "性别（{0}）与证件号码 {1} 不符",
        ),
        (
            r"^the birth date (\S+) does not agree with ID number (\S+)",
            "出生日期 {0} 与证件号码 {1} 不符",
        ),
        (
            r"^month '(.*)' is not a month",
            "“{0}”不是有效的月份：请写成 YYYY-MM，如 2026-05",
        ),
        (
            r"^venue None \(None\) is not registered at the station",
            "上报的场所缺少名称（venue.name）和辖区代码（venue.jurisdiction），派出所找不到该场所",
        ),
        (
            r"^venue None \((.+)\) is not registered at the station",
            "上报的场所缺少名称（venue.name），派出所在辖区 {0} 找不到该场所",
        ),
        (
            r"^venue '(.+)' \(None\) is not registered at the station",
            "上报的场所“{0}”缺少辖区代码（venue.jurisdiction），派出所找不到该场所",
        ),
        (
            r"^venue '(.+)' \((.+)\) is not registered at the station",
            "场所“{0}”（辖区 {1}）在派出所尚未登记：请派出所先登记该场所",
        ),
        (
            r"^the stay was never registered at the station",
            "派出所没有这次住宿的入住登记，无法更新或退房：请先上报入住",
        ),
        (
            r"^the residence was never registered at the station",
            "派出所没有这条居住登记，无法更新或迁出：请先上报迁入",
        ),
        (
            r"^house (.+) is not registered at the station",
            "房屋 {0} 在派出所尚未登记",
        ),
        (
            r"^unknown upload item (\S+)",
            "不认识的上报条目类型 {0}",
        ),
        (
            r"^the record no longer exists at the desk",
            "该记录在前台已不存在",
        ),
        (r"^user (\S+) is already enabled", "用户 {0} 未被停用，无需启用"),
        # Messages that reached users in English (issue 19), by module.
        (
            r"^region code (\d+) is not in the historic GB/T 2260 table",
            "号码中的行政区划代码 {0} 不在 GB/T 2260 历史代码表中：请核对号码（已照常登记）",
        ),
        (
            r"^the check digit does not follow the 7-3-1 rule",
            "号码的校验位不符合 7-3-1 规则：请核对号码（已照常登记）",
        ),
        (r"^a user needs a login of at most 64 characters", "登录名不能为空，最多 64 个字符"),
        (r"^user (\S+) is already (\S+)", "用户 {0} 已经是 {1}"),
        (
            r"^a database login is lower-case letters, digits and _",
            "数据库登录名只能由小写字母、数字和下划线组成",
        ),
        (r"^a 15-digit legacy number must be 15 digits", "15 位旧身份证号码必须全是数字"),
        (
            r"^a (.+) number has 18 characters: 17 digits and a digit or X",
            "号码应为 18 位：17 位数字加一位数字或 X",
        ),
        (
            r"^this number starts with 810000/820000/830000",
            "以 810000、820000、830000 开头的是港澳台居民居住证号码，不是居民身份证：请用"
            " --doc-type 选择港澳台居民居住证",
        ),
        (
            r"^a number starting with 9 is a foreign permanent resident card",
            "以 9 开头的是外国人永久居留身份证号码：请用 --doc-type 选择外国人永久居留证",
        ),
        (
            r"^a Hong Kong/Macao/Taiwan residence permit number is 18",
            "港澳台居民居住证号码应为 18 位，以 810000、820000 或 830000 开头",
        ),
        (
            r"^a 2017 foreign permanent resident number is 3 letters and 12 digits",
            "2017 版外国人永久居留证号码应为 3 个字母加 12 位数字",
        ),
        (
            r"^a 2023 foreign permanent resident number is 18 characters",
            "2023 版外国人永久居留证号码应为 18 位，以 9 开头",
        ),
        (r"^a passport number is 5 to 17 letters and digits", "护照号码应为 5 到 17 位字母和数字"),
        (
            r"^a residence permit number is 6 to 30 letters and digits",
            "居留证号码应为 6 到 30 位字母和数字",
        ),
        (
            r"^a nationality is a three-letter ISO 3166 code",
            "国籍应为三个字母的 ISO 3166 代码，如 USA、PAK",
        ),
        (r"^a unified social credit code has 18 characters", "统一社会信用代码应为 18 位"),
        (
            r"^a unified social credit code uses digits and capital letters",
            "统一社会信用代码由数字和大写字母组成（不含 I、O、Z、S、V）",
        ),
        (
            r"^characters 3-8 of a credit code are the region code",
            "统一社会信用代码的第 3 到 8 位是行政区划代码（6 位数字）",
        ),
        (
            r"^the check character of this credit code is wrong",
            "统一社会信用代码的校验码不对（GB 32100）：请核对后重新输入",
        ),
        (r"^the check character of (\S+) is wrong", "{0} 的校验位不对"),
        (r"^stay (\S+) is not a stay of (.+)", "住宿记录 {0} 不属于 {1}"),
        (r"^no such finding", "没有这个问题记录"),
        (r"^this finding is already resolved", "这个问题已经处理过了"),
        (r"^say how the finding was handled", "请用 --note 说明问题是如何处理的"),
        (r"^unknown rule (\S+); rules are (.+)", "没有规则 {0}，可用的规则：{1}"),
        (
            r"^rule (\S+) must be between (\S+) and (\S+), not (\S+)",
            "规则 {0} 必须在 {1} 到 {2} 之间（收到 {3}）",
        ),
        (
            r"^a rule takes effect from today \((\S+)\) or later, not (\S+)",
            "规则只能从今天（{0}）或以后生效（收到 {1}）：已生效的规则不能改写",
        ),
        (
            r"^employer (.+) is not registered; register it first",
            "单位 {0} 尚未登记；请先登记单位，或用 --jurisdiction 记录未登记单位的就业",
        ),
        (r"^the end day is before the start day (\S+)", "离职日期早于上岗日期 {0}"),
        (r"^(\S+) has no open residence (.*)", "{0} 没有未注销的居住登记"),
        (
            r"^(\S+) has (\d+) open residences; name the house",
            "{0} 有 {1} 条未注销的居住登记：请用 --house 指明房屋",
        ),
        (r"^a cancellation needs a reason", "注销或作废须说明原因：请用 --reason 写明"),
        (
            r"^this residence is not overdue",
            "这条居住登记没有超期（没有计划截止日期，或尚未到期）：请改用 laiqu moveout 办理迁出",
        ),
        (r"^the departure day (\S+) is in the future", "离开日期 {0} 还没到"),
        (r"^the departure day is before the move-in day (\S+)", "离开日期早于迁入日期 {0}"),
        (r"^the new planned end (\S+) has already passed", "新的计划截止日期 {0} 已经过去"),
        (r"^the planned end must be after the move-in day", "计划截止日期必须晚于迁入日期"),
        (r"^the planned end is already (\S+)", "计划截止日期已经是 {0}"),
        (r"^relation must be one of (.+)", "与房东的关系只能是 {0}"),
        (r"^reporter must be one of (.+)", "报告人只能是 {0}"),
        (r"^the move-out day is before the move-in day (\S+)", "迁出日期早于迁入日期 {0}"),
        (r"^a check-in needs at least one guest", "入住至少需要一位旅客"),
        (r"^the expected check-out day is before today", "预计退房日期早于今天"),
        (r"^a check-out cannot be in the future", "退房时间不能晚于现在"),
        (r"^the check-out time is before the check-in", "退房时间早于入住时间：请核对退房时间"),
        (r"^a study record needs the school's name", "就读登记需要学校名称"),
        (r"^the school's name is longer than 200 characters", "学校名称不能超过 200 个字"),
        (r"^the end of the study must be after its start", "离校日期必须晚于入学日期"),
        (r"^(\S+) already studies at (.+) from (\S+)", "{0} 自 {2} 起已在 {1} 就读"),
        (r"^(\S+) does not study at (.+) on (\S+)", "{0} 在 {2} 没有在 {1} 就读"),
        (r"^an ID number is needed", "需要证件号码"),
        (r"^the name is longer than 100 characters", "姓名不能超过 100 个字"),
        (r"^gender code must be one of (.+)", "性别代码只能是 {0}（GB/T 2261.1）"),
        (r"^ethnicity code (\S+) is not in GB/T 3304", "民族代码 {0} 不在 GB/T 3304 中"),
        (
            r"^a passport needs the holder's nationality",
            "护照需要持有人的国籍（三个字母的代码，--nationality）",
        ),
        (r"^nothing to correct", "没有要更正的内容"),
        (r"^the issue day (\S+) is in the future", "签发日期 {0} 还没到"),
        (r"^(\S+) already holds residence permit (\S+)", "{0} 已持有居住证 {1}"),
        (r"^(\S+) is not eligible for a residence permit: (.*)", "{0} 不符合申领居住证的条件：{1}"),
        (r"^the endorsement day (\S+) is in the future", "签注日期 {0} 还没到"),
        (r"^(\S+) holds no residence permit", "{0} 没有居住证"),
        (r"^the endorsement day is before the issue day (\S+)", "签注日期早于签发日期 {0}"),
        (
            r"^permit (\S+) can be endorsed from (\S+) to (\S+), not yet on (\S+)",
            "居住证 {0} 的签注期为 {1} 至 {2}，{3} 还不能签注",
        ),
        (
            r"^(\S+) has no registered residence in (\S+) on (\S+);",
            "{0} 在 {2} 没有在 {1} 的居住登记：持证人在本市居住时才能签注",
        ),
        (r"^the number of days must be between 1 and 366", "天数必须在 1 到 366 之间"),
        (r"^a permit number has 1 to 40 characters", "居住证编号应为 1 到 40 个字符"),
        (r"^residence permit number (\S+) is already used", "居住证编号 {0} 已被使用"),
        (r"^an employer needs a name", "单位需要名称"),
        (
            r"^(\d+) employers are named (.+); use the credit code",
            "有 {0} 个单位都叫 {1}：请改用统一社会信用代码",
        ),
        (r"^employer (.+) is not registered", "单位 {0} 尚未登记"),
        (r"^house (.+) is not registered$", "房屋 {0} 尚未登记"),
        (r"^a house needs an address", "房屋需要地址"),
        (r"^house use must be one of (.+)", "房屋用途只能是 {0}"),
        (
            r"^(\d+) houses carry door plate (.+); use the house's id",
            "有 {0} 处房屋的门牌都是 {1}：请改用房屋编号",
        ),
        (r"^a jurisdiction needs a code and a name", "辖区需要代码和名称"),
        (r"^venue kind must be one of (.+)", "场所类型只能是 {0}"),
        (r"^a venue needs a name", "场所需要名称"),
        (r"^a room number is listed twice", "房间号重复了"),
        (
            r"^a room number has 1 to (\d+) characters \((\d+)\)",
            "房间号应为 1 到 {0} 个字符（现有 {1} 个）",
        ),
        (r"^venue (.+) is not registered$", "场所 {0} 尚未登记"),
        (r"^no such person is registered", "没有登记此人"),
        (r"^the file has no checksum", "文件没有校验码：不是来去的上报文件，或已损坏"),
        (r"^the checksum does not match", "文件校验码不符：文件已损坏或被改动"),
        (r"^unknown sync file format (.+)", "不认识的上报文件格式 {0}"),
        (
            r"^this is a receipt, not an upload file",
            "这是回执文件，不是上报文件：请在前台导入（laiqu sync import --receipt）",
        ),
        (r"^this is an upload file: import it at the station", "这是上报文件：请在派出所导入"),
        (r"^the receipt is for another venue", "这份回执属于另一个场所"),
        (r"^the file is not a sync file", "这不是来去的上报文件（不是 JSON）"),
        (
            r"^the (\S+) was never registered at the station: its registration was rejected",
            "派出所拒收了这条记录的原始登记（见同一记录被拒收的原因），这次更新也无法上报",
        ),
        (r"^the (\S+) was never registered at the station", "派出所没有这条记录的原始登记"),
        (
            r"^this database holds no venue or several",
            "本库没有场所或有多个场所：请用 --venue 指明上报的场所",
        ),
        (r"^the station did not take the batch: (.+)", "派出所没有接收这一批：{0}"),
        (r"^venue not registered", "场所尚未登记"),
        # Corrections and place edits (issue #19).
        (r"^the reason is longer than (\d+) characters", "原因不能超过 {0} 个字"),
        (r"^the guest is in room (.+) already", "该旅客已在 {0} 房间，无需换房"),
        (
            r"^venue (.+) is registered in (\S+) already \((\w+)\)",
            "辖区 {1} 已有同名场所“{0}”（编号 {2}）："
            "请修改或合并该场所（venue update / venue merge）",
        ),
        (
            r"^employer (.+) is registered in (\S+) already \((\w+)\)",
            "辖区 {1} 已有同名单位“{0}”（编号 {2}）："
            "请修改或合并该单位（employer update / employer merge）",
        ),
        (
            r"^a house at this address is registered in (\S+) already \((\w+)\)",
            "辖区 {0} 已登记同一地址的房屋（编号 {1}）："
            "请修改或合并该房屋（house update / house merge）",
        ),
        (
            r"^a house with this door plate is registered in (\S+) already \((\w+)\)",
            "辖区 {0} 已有门牌号相同的房屋（编号 {1}）："
            "请核对门牌，或修改、合并该房屋（house update / house merge）",
        ),
        (
            r"^industry '(.*)' is not a GB/T 4754 section",
            "行业门类“{0}”不是 GB/T 4754 的门类代码：应为 A–T 之一（A 农林牧渔业、C 制造业、"
            "E 建筑业、F 批发和零售业、G 交通运输仓储和邮政业、H 住宿和餐饮业、"
            "I 信息传输软件和信息技术服务业、O 居民服务修理和其他服务业等，见 --help）",
        ),
        (
            r"^a station cannot sit directly under city (\S+): it has districts \(e\.g\. (\S+)\)",
            "市 {0} 设有区县（如 {1}）：派出所应设在所属区县之下；只有不设区的市"
            "（如东莞、中山）才在市下直接设派出所",
        ),
        (
            r"^a district cannot sit under city (\S+): its stations sit directly under it "
            r"\(e\.g\. (\S+)\)",
            "市 {0} 的派出所直接设在市下（如 {1}），是不设区的市，不能再设区县",
        ),
        *[
            (
                rf"^a {kind} belongs to a station, community or grid, not to the (\w+) (\S+)",
                f"{word}应登记在派出所、社区或网格下，不能直接登记在{{0}}级辖区 {{1}}："
                "请改用所在的派出所、社区或网格的代码",
            )
            for kind, word in [("house", "房屋"), ("venue", "场所")]
        ],
        (
            r"^a (\w+) cannot sit under a (\w+)",
            "{0}级辖区不能直接设在{1}级之下：层级为 市 > 区县 > 派出所 > 社区 > 网格"
            "（不设区的市可在市下设派出所，网格可直接设在派出所下）",
        ),
        (
            r"^jurisdiction (\S+) under the same parent is named (.+)",
            "同一上级下的辖区 {0} 已叫“{1}”",
        ),
        (r"^jurisdiction (\S+) is named (.+) already", "辖区 {0} 已叫“{1}”"),
        (r"^a jurisdiction needs a name", "辖区需要名称"),
        (r"^a (venue|house|employer) cannot be merged into itself", "不能把记录并入它自己"),
        (
            r"^(.+) is a (\w+) and (.+) a (\w+)$",
            "{0}（{1}）与 {2}（{3}）类型不同，不能合并",
        ),
        (
            r"^the (venue|house|employer) (.+) is referred to by (.+); merge it",
            "“{1}”仍有登记引用（{2}），不能删除：请用 merge 把它并入另一条记录",
        ),
        (
            r"^room (.+) is a room of (.+) already",
            "{1} 已有房间 {0}",
        ),
        (
            r"^no change given: give a new name, address or rooms",
            "没有要修改的内容：请给出 --name、--address 或 --add-rooms",
        ),
        (
            r"^no change given: give a headcount, name, industry or address",
            "没有要修改的内容：请给出 --name、--headcount、--industry 或 --address",
        ),
    ]
]


# Messages of registry.identity.text: the first group is a field, named by its Chinese label.
FIELD_PHRASES: list[tuple[str, str]] = [
    (p, t)
    for p, t in [
        (
            r"^the (phone) is not a telephone number",
            "{0}号码格式不对：请只写数字（可带区号、+86、空格、横线或分机号）",
        ),
        (
            r"^the (\w+) is not valid UTF-8",
            "{0}不是有效的 UTF-8 文本：请把终端或文件的编码设为 UTF-8 后重新输入",
        ),
        (
            r"^read from the card: the (\w+) may not hold control characters \(([^)]*)\)",
            "{0}（读卡所得）中有控制字符、换行或文字方向控制符（{1}）：证件数据异常，未登记；"
            "请核对证件，必要时改用手工登记",
        ),
        (
            r"^the (\w+) may not hold control characters \(([^)]*)\)",
            "{0}中不能有控制字符、换行或文字方向控制符（{1}）：请删除后重新输入",
        ),
        (
            r"^the (\w+) is longer than (\d+) characters \((\d+)\)",
            "{0}超过 {1} 个字（现有 {2} 个）：请缩短后重新输入",
        ),
        (r"^the (\w+) is longer than (\d+) characters$", "{0}超过 {1} 个字"),
    ]
]

# Days (registry.identity.dates) and birth dates later than the registry's day.
DAY_PHRASES: list[tuple[str, str]] = [
    (p, t)
    for p, t in [
        (
            r"^the text is not a day in a known form",
            "不是可识别的日期：请写成 YYYY-MM-DD、YYYY/M/D、YYYY.M.D 或 YYYYMMDD",
        ),
        (r"^the text names no such day", "日期不存在：请核对月份和日"),
        (r"^the day is before (\d+)", "日期早于 {0} 年"),
        (
            r"^the birth date (\S+) is later than today \((\S+)\)",
            "出生日期 {0} 晚于今天（{1}，北京时间）：请核对出生日期",
        ),
    ]
]


# Codes a core message carries (levels, venue kinds, option names) → the words a user reads.
WORDS = {
    **LABELS,
    "city": "市",
    "district": "区县",
    "station": "派出所",
    "community": "社区",
    "grid": "网格",
    "hotel": "旅馆",
    "intermediary": "租房中介",
    "hostel": "旅社",
    "reason": "原因",
    "capacity": "核定人数",
    "headcount": "从业人数",
    "rooms": "房间数",
    # roles and the actions they may take (registry.privacy.access)
    "admin": "管理员",
    "coordinator": "协管员",
    "desk": "旅馆前台",
    "analyst": "分析员",
    "employment.write": "从业登记",
    "stay.write": "住宿登记",
    "residence.write": "居住登记",
    "person.read": "查询人员",
    "person.write": "登记或更正人员",
    "person.reveal": "查看完整证件号码",
    "house.add": "登记房屋",
    "house.write": "修改房屋",
    "place.write": "登记或修改场所、辖区",
    "permit.write": "办理居住证",
    "permits.read": "查询居住证",
    "findings.read": "查看比对提示",
    "findings.write": "处理比对提示",
    "report": "出报表",
    "export": "导出数据",
    # an uploaded record and its instants (registry.sync.vouch)
    "stay": "住宿登记",
    "residence": "居住登记",
    "employment": "从业登记",
    "event": "事件记录",
    "heartbeat": "心跳记录",
    "checked_in_at": "入住时间",
    "checked_out_at": "退房时间",
    "reported_at": "上报时间",
    "occurred_at": "发生时间",
    "created_at": "建立时间",
    "valid_from": "起始日期",
    "valid_to": "终止日期",
}
# "4 stays, 2 residences" (what still refers to a record) → "住宿登记 4 条、居住登记 2 条".
COUNTED = {
    "stays": "住宿登记",
    "residences": "居住登记",
    "employments": "从业登记",
    "rooms": "房间",
    "users": "用户",
    "entrusted": "托管关系",
    "entrusted houses": "托管房屋",
}
_COUNTED = re.compile(r"(\d+) (" + "|".join(sorted(COUNTED, key=len, reverse=True)) + r")\b")


def _word(value: str | None) -> str | None:
    """A code in a message as the user's word; counted records in Chinese; else unchanged."""
    if value is None:
        return None
    if value in WORDS:
        return WORDS[value]
    worded = _COUNTED.sub(lambda m: f"{COUNTED[m.group(2)]} {m.group(1)} 条", value)
    return worded.replace(", ", "、") if worded != value else value


@functools.cache
def _compiled() -> tuple[list[tuple[re.Pattern[str], str]], list[tuple[re.Pattern[str], str]]]:
    """The patterns, compiled on first use: a command that succeeds never pays for them."""
    fields = [(re.compile(p), t) for p, t in FIELD_PHRASES]
    return fields, [(re.compile(p), t) for p, t in (*PHRASES, *DAY_PHRASES)]


def phrase(message: str) -> str:
    """The Chinese wording of a core message, or the message itself when none is known.

    Codes among the substituted parts (``grid``, ``intermediary``, ``4 stays``) are shown as
    words (``WORDS``, ``COUNTED``)."""
    fields, others = _compiled()
    for pattern, template in fields:
        found = pattern.search(message)
        if found:
            field, *rest = found.groups()
            return template.format(WORDS.get(field, field), *rest)
    for pattern, template in others:
        found = pattern.search(message)
        if found:
            return template.format(*(_word(g) for g in found.groups()))
    return message


def sentence(lead: str, detail: str, hint: str) -> str:
    """A refusal as a user reads it: ``"{lead}：{detail}。{hint}。"``, without the hint when
    the detail already says what to do (it holds "请…", or the hint itself): one piece of
    advice, not two. ``detail`` is already in Chinese (``phrase``)."""
    detail = detail.rstrip("。")
    advised = hint.startswith("请") and "请" in detail
    advice = "" if advised or hint[:3] in detail else f"{hint}。"
    return f"{lead}：{detail}。{advice}"
