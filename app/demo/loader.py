"""Demo data: the province of Đắk Lắk, its people and its CCHC plans, built through the services."""

import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from app.common.errors import RuleViolation
from app.demo import quality as quality_demo
from app.directory import units, users
from app.domain.status import Timeliness, timeliness
from app.domain.text import sort_key
from app.extensions import db
from app.models import Field, Plan, PlanKind, ProcessStep, Task, Unit, User
from app.models.base import utcnow
from app.models.user import Role, user_fields
from app.plans import service as plans
from app.settings import Settings
from app.tasks import breakdown, evidence
from app.tasks import commands as tasks

DEMO_PASSWORD = "SauRo@2026"
URL = "http://127.0.0.1:5000"
ROOT = "UBND66"
PROVINCE_CODE = 66  # Đắk Lắk, which absorbed Phú Yên on 1 July 2025

# ---------------------------------------------------------------- the unit tree

DEPARTMENTS = (
    ("VPUBND", "Văn phòng UBND tỉnh"),
    ("SNV", "Sở Nội vụ"),
    ("STP", "Sở Tư pháp"),
    ("STC", "Sở Tài chính"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SYT", "Sở Y tế"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("SXD", "Sở Xây dựng"),
    ("SCT", "Sở Công Thương"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo"),
    ("TTT", "Thanh tra tỉnh"),
)
SUB_UNITS = (
    ("SNV-CCHC", "Phòng Cải cách hành chính", "SNV", "section"),
    ("SNV-TCBC", "Phòng Tổ chức, biên chế và tổ chức phi chính phủ", "SNV", "section"),
    ("VPUBND-PVHCC", "Trung tâm Phục vụ hành chính công tỉnh", "VPUBND", "office"),
)
# Official codes of the wards and the commune that get people and, for the first, a plan.
BMT, TUY_HOA, EA_KAR = "24133", "22015", "24373"

# ---------------------------------------------------------------- people

FIELDS = {
    "chidao": "Công tác chỉ đạo, điều hành cải cách hành chính",
    "thecho": "Cải cách thể chế",
    "tthc": "Cải cách thủ tục hành chính",
    "bomay": "Cải cách tổ chức bộ máy",
    "congvu": "Cải cách chế độ công vụ",
    "taichinh": "Cải cách tài chính công",
    "cqso": "Xây dựng chính quyền điện tử, chính quyền số",
}

# username, full name, unit code, role, position (chức vụ), fields of a deputy
PEOPLE = (
    ("admin", "Nguyễn Hữu Phước", ROOT, Role.ADMIN, "Quản trị hệ thống", ()),
    ("danhgia", "Trần Thị Thu Hà", "SNV", Role.ASSESSOR, "Chuyên viên chính, thành viên Tổ giúp việc Ban Chỉ đạo CCHC", ()),
    ("gd.snv", "Lê Văn Dũng", "SNV", Role.HEAD, "Giám đốc Sở", ()),
    ("pgd.snv1", "Phạm Thị Hồng Nhung", "SNV", Role.DEPUTY, "Phó Giám đốc Sở", ("thecho", "tthc", "cqso")),
    ("pgd.snv2", "Y Khuê Niê", "SNV", Role.DEPUTY, "Phó Giám đốc Sở", ("bomay", "congvu", "taichinh")),
    ("cv.snv1", "Nguyễn Thị Thanh Hương", "SNV", Role.STAFF, "Chuyên viên", ()),
    ("cv.snv2", "Trần Minh Khoa", "SNV", Role.STAFF, "Chuyên viên", ()),
    ("cv.snv3", "Lê Thị Ngọc Ánh", "SNV", Role.STAFF, "Chuyên viên chính", ()),
    ("cv.snv4", "Võ Đình Phúc", "SNV", Role.STAFF, "Chuyên viên", ()),
    ("cv.snv5", "H'Nhi Mlô", "SNV-TCBC", Role.STAFF, "Chuyên viên Phòng Tổ chức, biên chế và tổ chức phi chính phủ", ()),
    ("cv.snv6", "Bùi Quốc Việt", "SNV-CCHC", Role.STAFF, "Phó Trưởng phòng Cải cách hành chính", ()),
    ("gd.skhcn", "Đoàn Văn Thành", "SKHCN", Role.HEAD, "Giám đốc Sở", ()),
    ("pgd.skhcn1", "Nguyễn Thị Bích Ngọc", "SKHCN", Role.DEPUTY, "Phó Giám đốc Sở", ("cqso",)),
    ("pgd.skhcn2", "Hoàng Anh Tuấn", "SKHCN", Role.DEPUTY, "Phó Giám đốc Sở", ("tthc", "thecho")),
    ("cv.skhcn1", "Phan Thanh Tùng", "SKHCN", Role.STAFF, "Chuyên viên", ()),
    ("cv.skhcn2", "Đinh Thị Lệ Thu", "SKHCN", Role.STAFF, "Chuyên viên", ()),
    ("cv.skhcn3", "Y Sơn Êban", "SKHCN", Role.STAFF, "Kỹ sư, Trung tâm Công nghệ thông tin và Truyền thông", ()),
    ("cvp.vpubnd", "Trương Công Bình", "VPUBND", Role.HEAD, "Chánh Văn phòng", ()),
    ("pcvp.vpubnd1", "Lương Thị Kim Yến", "VPUBND", Role.DEPUTY, "Phó Chánh Văn phòng", ("tthc",)),
    ("pcvp.vpubnd2", "Hà Văn Lực", "VPUBND", Role.DEPUTY, "Phó Chánh Văn phòng", ("cqso",)),
    ("cv.vpubnd1", "Đỗ Thị Phương Thảo", "VPUBND", Role.STAFF, "Chuyên viên", ()),
    ("cv.vpubnd2", "Mai Xuân Hiếu", "VPUBND", Role.STAFF, "Chuyên viên", ()),
    ("cv.vpubnd3", "Tô Ngọc Quang", "VPUBND", Role.STAFF, "Chuyên viên", ()),
    ("ct.buonmathuot", "Huỳnh Thị Thu Trang", BMT, Role.HEAD, "Chủ tịch UBND phường", ()),
    ("pct.buonmathuot", "Ngô Đức Hải", BMT, Role.DEPUTY, "Phó Chủ tịch UBND phường", ("tthc", "cqso")),
    ("cc.buonmathuot1", "Vũ Thị Hạnh", BMT, Role.STAFF, "Chuyên viên Văn phòng HĐND và UBND phường", ()),
    ("cc.buonmathuot2", "H'Ly Ayŭn", BMT, Role.STAFF, "Chuyên viên Phòng Văn hóa - Xã hội", ()),
    ("ct.tuyhoa", "Nguyễn Tấn Lộc", TUY_HOA, Role.HEAD, "Chủ tịch UBND phường", ()),
    ("cc.tuyhoa1", "Trần Thị Diễm My", TUY_HOA, Role.STAFF, "Chuyên viên Văn phòng HĐND và UBND phường", ()),
    ("ct.eakar", "Lê Quang Sáng", EA_KAR, Role.HEAD, "Chủ tịch UBND xã", ()),
    ("cc.eakar1", "H'Mai Byă", EA_KAR, Role.STAFF, "Chuyên viên Văn phòng HĐND và UBND xã", ()),
)
ROLE_LABELS = {Role.ADMIN: "quản trị", Role.ASSESSOR: "đánh giá", Role.HEAD: "người đứng đầu",
               Role.DEPUTY: "cấp phó", Role.STAFF: "chuyên viên"}

# ---------------------------------------------------------------- plans and tasks


@dataclass(frozen=True)
class Item:
    """One task of a demo plan, with how far along it should be as of the seed's today.

    `when` picks the dates relative to today and the lifecycle to walk:
    done / early (completed on time), late (completed after its due date), overdue,
    soon (due within the reminder window), within, year (the whole year), later (not
    started), submitted (awaiting confirmation), returned (sent back for rework),
    fixed (the dates in `dates`; completed on time once due), undated (no dates at all).
    """

    title: str
    description: str
    output: str
    steps: tuple[str, ...]
    when: str
    assignee: str | None
    leader: str | None
    k: int = 0
    lead: str | None = None
    coordinators: tuple[str, ...] = ()
    responsibility: str = ""
    indicator: tuple[str, str, int] | None = None
    # The latest progress note of an open task, the submission note of a completed one,
    # the reviewer's comment on a returned one.
    note: str = ""
    dates: tuple[tuple[int, int], tuple[int, int]] | None = None
    weight: int = 1
    children: tuple["Item", ...] = ()


# A plan's tasks: (field key, items) in the order the plan lists them.
Groups = tuple[tuple[str, tuple[Item, ...]], ...]

def _snv_plan(y: int) -> Groups:
    """The SNV's CCHC plan for year `y`: the way a provincial department writes it."""
    return (
        ("chidao", (
            Item(f"Xây dựng, ban hành Kế hoạch cải cách hành chính năm {y} của Sở Nội vụ",
                 "Cụ thể hóa Kế hoạch CCHC của UBND tỉnh thành nhiệm vụ của từng phòng, đơn vị thuộc Sở.",
                 f"Kế hoạch CCHC năm {y} của Sở được Giám đốc Sở ký ban hành",
                 ("Dự thảo kế hoạch", "Lấy ý kiến các phòng, đơn vị thuộc Sở", "Trình Giám đốc Sở ký ban hành"),
                 "fixed", "cv.snv1", "gd.snv", dates=((1, 2), (1, 15))),
            Item("Xây dựng, trình UBND tỉnh ban hành Bộ chỉ số đánh giá, xếp loại chất lượng hoạt động "
                 "của các sở, ngành và UBND cấp xã",
                 "Bộ chỉ số thay thế bộ tiêu chí cũ của hai tỉnh trước sắp xếp, áp dụng thống nhất toàn tỉnh.",
                 "Quyết định của UBND tỉnh ban hành Bộ chỉ số",
                 ("Dự thảo bộ chỉ số và hướng dẫn chấm điểm", "Lấy ý kiến các sở, ngành, UBND cấp xã",
                  "Tiếp thu, hoàn thiện, trình UBND tỉnh"),
                 "overdue", "cv.snv3", "gd.snv", k=1, coordinators=("VPUBND", "STP"), weight=2,
                 responsibility="Chịu trách nhiệm về chất lượng dự thảo và thời hạn trình UBND tỉnh.",
                 note="Đã tổng hợp ý kiến của 9/13 sở, ngành; còn chờ ý kiến của Sở Tài chính, Sở Y tế, "
                      "Sở Xây dựng và Thanh tra tỉnh nên chưa trình được."),
            Item("Tổ chức kiểm tra công tác cải cách hành chính tại các sở, ngành và UBND cấp xã",
                 "Kiểm tra theo Kế hoạch kiểm tra CCHC năm của UBND tỉnh; ưu tiên đơn vị có chỉ số thấp.",
                 "Thông báo kết luận kiểm tra gửi các cơ quan, đơn vị được kiểm tra",
                 ("Ban hành quyết định thành lập Đoàn kiểm tra", "Kiểm tra trực tiếp tại cơ quan, đơn vị",
                  "Tổng hợp, thông báo kết luận kiểm tra"),
                 "within", "cv.snv6", "pgd.snv1", k=6, lead="SNV-CCHC",
                 indicator=("Số cơ quan, đơn vị được kiểm tra", "cơ quan, đơn vị", 30),
                 children=(
                     Item("Ban hành Quyết định thành lập Đoàn kiểm tra CCHC và kế hoạch kiểm tra chi tiết",
                          "Đoàn kiểm tra gồm đại diện Sở Nội vụ, Sở Tư pháp, Văn phòng UBND tỉnh.",
                          "Quyết định thành lập Đoàn kiểm tra", ("Dự thảo quyết định", "Trình ký ban hành"),
                          "done", "cv.snv6", "pgd.snv1", k=8, lead="SNV-CCHC"),
                     Item("Kiểm tra công tác CCHC tại 12 sở, ngành (đợt 1)",
                          "Kiểm tra hồ sơ, tài liệu và việc giải quyết TTHC tại bộ phận một cửa.",
                          "Biên bản kiểm tra tại 12 sở, ngành",
                          ("Gửi thông báo lịch kiểm tra", "Kiểm tra trực tiếp", "Lập biên bản kiểm tra"),
                          "late", "cv.snv6", "pgd.snv1", k=1, lead="SNV-CCHC",
                          note="Hoàn thành chậm do lịch kiểm tra trùng đợt sắp xếp tổ chức bộ máy."),
                     Item("Kiểm tra công tác CCHC tại 18 UBND xã, phường (đợt 2)",
                          "Ưu tiên các xã, phường mới thành lập sau sắp xếp đơn vị hành chính.",
                          "Biên bản kiểm tra tại 18 xã, phường",
                          ("Gửi thông báo lịch kiểm tra", "Kiểm tra trực tiếp", "Lập biên bản kiểm tra"),
                          "within", "cv.snv6", "pgd.snv1", k=2, lead="SNV-CCHC"),
                     Item("Tổng hợp kết quả kiểm tra, theo dõi việc khắc phục tồn tại sau kiểm tra",
                          "Theo dõi các cơ quan, đơn vị báo cáo kết quả khắc phục trong 30 ngày.",
                          "Báo cáo kết quả kiểm tra CCHC năm trình UBND tỉnh",
                          ("Tổng hợp biên bản", "Dự thảo báo cáo", "Trình UBND tỉnh"),
                          "later", "cv.snv6", "pgd.snv1", k=4, lead="SNV-CCHC"),
                 )),
            Item(f"Xây dựng báo cáo cải cách hành chính định kỳ năm {y}",
                 "Báo cáo quý, 6 tháng, năm gửi UBND tỉnh và Bộ Nội vụ theo Thông tư về chế độ báo cáo CCHC.",
                 "Các báo cáo CCHC định kỳ gửi đúng hạn",
                 ("Đôn đốc các phòng cung cấp số liệu", "Tổng hợp, dự thảo báo cáo", "Trình ký, gửi báo cáo"),
                 "year", "cv.snv1", "gd.snv",
                 children=(
                     Item(f"Báo cáo CCHC quý I năm {y}", "Số liệu từ 15/12 năm trước đến 14/3.",
                          "Báo cáo CCHC quý I", ("Tổng hợp số liệu", "Trình ký, gửi báo cáo"),
                          "fixed", "cv.snv1", "gd.snv", dates=((3, 1), (3, 15))),
                     Item(f"Báo cáo CCHC 6 tháng đầu năm {y}", "Số liệu từ 15/12 năm trước đến 14/6.",
                          "Báo cáo CCHC 6 tháng", ("Tổng hợp số liệu", "Trình ký, gửi báo cáo"),
                          "fixed", "cv.snv1", "gd.snv", dates=((6, 1), (6, 15))),
                     Item(f"Báo cáo CCHC quý III năm {y}", "Số liệu từ 15/6 đến 14/9.",
                          "Báo cáo CCHC quý III", ("Tổng hợp số liệu", "Trình ký, gửi báo cáo"),
                          "fixed", "cv.snv1", "gd.snv", dates=((9, 1), (9, 15))),
                     Item(f"Báo cáo CCHC năm {y}", "Số liệu từ 15/12 năm trước đến 14/12; kèm phương hướng năm sau.",
                          "Báo cáo CCHC năm", ("Tổng hợp số liệu", "Trình ký, gửi báo cáo"),
                          "fixed", "cv.snv1", "gd.snv", dates=((11, 25), (12, 15))),
                 )),
            Item("Tổ chức Hội nghị giao ban công tác cải cách hành chính với các sở, ngành và UBND cấp xã",
                 "Đánh giá kết quả, chỉ ra đơn vị chậm tiến độ và giải pháp cho thời gian tới.",
                 "Thông báo kết luận của Giám đốc Sở tại Hội nghị",
                 ("Chuẩn bị báo cáo, tài liệu hội nghị", "Tổ chức hội nghị", "Ban hành thông báo kết luận"),
                 "soon", "cv.snv2", "gd.snv", k=2),
            Item(f"Đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính "
                 f"(SIPAS) năm {y}",
                 "Điều tra xã hội học tại Trung tâm Phục vụ hành chính công tỉnh và bộ phận một cửa cấp xã.",
                 "Báo cáo kết quả Chỉ số SIPAS trình UBND tỉnh công bố",
                 ("Xây dựng phương án điều tra", "Tổ chức khảo sát", "Phân tích số liệu, báo cáo kết quả"),
                 "within", "cv.snv3", "pgd.snv1", k=8, coordinators=("VPUBND",), weight=2,
                 indicator=("Chỉ số hài lòng SIPAS", "%", 85),
                 children=(
                     Item("Xây dựng phương án điều tra xã hội học đo lường sự hài lòng",
                          "Xác định cỡ mẫu, phiếu khảo sát giấy và trực tuyến.",
                          "Phương án điều tra được Giám đốc Sở phê duyệt",
                          ("Dự thảo phương án, mẫu phiếu", "Trình phê duyệt"),
                          "done", "cv.snv3", "pgd.snv1", k=4),
                     Item("Tổ chức phát phiếu, khảo sát trực tuyến tại Trung tâm Phục vụ hành chính công "
                          "và bộ phận một cửa cấp xã",
                          "Kết hợp phiếu giấy và phiếu điện tử qua mã QR tại quầy tiếp nhận.",
                          "Dữ liệu khảo sát đã làm sạch",
                          ("Tập huấn điều tra viên", "Phát và thu phiếu", "Nhập, làm sạch dữ liệu"),
                          "within", "cv.snv4", "pgd.snv1", k=1, coordinators=("VPUBND",),
                          indicator=("Số phiếu khảo sát thu về", "phiếu", 3000)),
                     Item("Tổng hợp, phân tích kết quả khảo sát, báo cáo UBND tỉnh",
                          "So sánh với kết quả năm trước, chỉ rõ khâu người dân chưa hài lòng.",
                          "Báo cáo kết quả SIPAS",
                          ("Phân tích số liệu", "Dự thảo báo cáo", "Trình UBND tỉnh"),
                          "later", "cv.snv3", "pgd.snv1", k=3),
                 )),
            Item(f"Xây dựng và thực hiện Kế hoạch tuyên truyền cải cách hành chính năm {y}",
                 "Tuyên truyền về chính quyền địa phương hai cấp, dịch vụ công trực tuyến và kết quả CCHC.",
                 "Kế hoạch tuyên truyền và báo cáo kết quả thực hiện",
                 ("Ban hành kế hoạch tuyên truyền", "Triển khai các hình thức tuyên truyền",
                  "Báo cáo kết quả"),
                 "year", "cv.snv2", "gd.snv",
                 children=(
                     Item("Duy trì chuyên mục \"Cải cách hành chính\" trên Cổng thông tin điện tử của Sở, "
                          "đăng tải tối thiểu 04 tin, bài mỗi tháng",
                          "Tin, bài về kết quả CCHC, gương điển hình, hướng dẫn nộp hồ sơ trực tuyến.",
                          "Tin, bài đăng tải trên chuyên mục CCHC",
                          ("Lập kế hoạch tin, bài theo tháng", "Biên tập, đăng tải"),
                          "year", "cv.snv2", "gd.snv",
                          indicator=("Số tin, bài đăng tải", "tin, bài", 48)),
                     Item(f"Tổ chức Hội thi tìm hiểu về cải cách hành chính trực tuyến năm {y}",
                          "Hội thi trên nền tảng trực tuyến dành cho cán bộ, công chức và người dân.",
                          "Quyết định khen thưởng và báo cáo kết quả Hội thi",
                          ("Xây dựng thể lệ, bộ câu hỏi", "Tổ chức thi trực tuyến", "Tổng kết, trao giải"),
                          "submitted", "cv.snv2", "gd.snv", k=1,
                          note="Đã tổ chức xong Hội thi với 12.450 lượt dự thi; gửi kèm báo cáo tổng kết."),
                     Item("Phối hợp Báo và Phát thanh, Truyền hình Đắk Lắk thực hiện phóng sự chuyên đề "
                          "về chính quyền địa phương hai cấp",
                          "04 phóng sự về vận hành bộ phận một cửa cấp xã sau sắp xếp.",
                          "04 phóng sự phát sóng",
                          ("Thống nhất kịch bản", "Ghi hình tại cơ sở", "Phát sóng"),
                          "overdue", "cv.snv4", "gd.snv", k=3,
                          note="Đã phát sóng 02/04 phóng sự; 02 phóng sự còn lại chờ lịch ghi hình tại xã Ea Kar."),
                 )),
            Item(f"Công bố Chỉ số cải cách hành chính năm {y - 1} của các sở, ban, ngành và UBND cấp xã",
                 "Thẩm định kết quả tự chấm điểm, trình Hội đồng thẩm định và UBND tỉnh công bố.",
                 "Quyết định công bố Chỉ số CCHC của UBND tỉnh",
                 ("Thẩm định kết quả tự chấm điểm", "Họp Hội đồng thẩm định", "Trình UBND tỉnh công bố"),
                 "done", "cv.snv6", "pgd.snv1", k=6, lead="SNV-CCHC"),
            Item(f"Khắc phục các tiêu chí, tiêu chí thành phần bị mất điểm trong Chỉ số CCHC (PAR INDEX) "
                 f"năm {y - 1} của tỉnh",
                 "Phân công sở, ngành chủ trì khắc phục từng tiêu chí bị mất điểm.",
                 "Báo cáo kết quả khắc phục gửi Bộ Nội vụ",
                 ("Phân tích tiêu chí mất điểm", "Giao nhiệm vụ khắc phục", "Tổng hợp kết quả"),
                 "late", "cv.snv3", "pgd.snv1", k=3,
                 note="Hoàn thành chậm do chờ số liệu khắc phục của 03 sở, ngành."),
            Item("Tăng cường công tác cải cách hành chính",
                 "Tiếp tục tăng cường công tác cải cách hành chính trong toàn ngành.",
                 "", ("Triển khai thực hiện",),
                 "year", "cv.snv2", "gd.snv"),
        )),
        ("thecho", (
            Item(f"Tham mưu HĐND, UBND tỉnh ban hành văn bản quy phạm pháp luật lĩnh vực nội vụ theo "
                 f"Chương trình xây dựng văn bản năm {y}",
                 "Các văn bản quy định chi tiết Luật Tổ chức chính quyền địa phương (sửa đổi) và Luật Cán bộ, "
                 "công chức (sửa đổi) được giao cho địa phương.",
                 "Nghị quyết, quyết định quy phạm pháp luật được ban hành",
                 ("Dự thảo văn bản", "Lấy ý kiến, gửi Sở Tư pháp thẩm định", "Trình ban hành"),
                 "within", "cv.snv4", "pgd.snv1", k=5, coordinators=("STP",),
                 indicator=("Số văn bản QPPL trình ban hành", "văn bản", 6)),
            Item("Rà soát, hệ thống hóa văn bản quy phạm pháp luật lĩnh vực nội vụ sau sắp xếp đơn vị "
                 "hành chính cấp tỉnh",
                 "Văn bản của tỉnh Đắk Lắk và tỉnh Phú Yên (cũ) còn hiệu lực cần thống nhất áp dụng.",
                 "Danh mục văn bản đề nghị bãi bỏ, thay thế, sửa đổi trình UBND tỉnh",
                 ("Rà soát văn bản của hai tỉnh (cũ)", "Lập danh mục đề nghị xử lý", "Trình UBND tỉnh"),
                 "overdue", "cv.snv4", "pgd.snv1", k=1, coordinators=("STP",),
                 note="Đã rà soát xong văn bản của tỉnh Đắk Lắk (cũ); văn bản của tỉnh Phú Yên (cũ) còn 21 văn bản.",
                 children=(
                     Item("Rà soát văn bản QPPL do HĐND, UBND tỉnh Đắk Lắk (cũ) ban hành lĩnh vực nội vụ",
                          "Rà soát 64 văn bản còn hiệu lực.", "Báo cáo kết quả rà soát",
                          ("Lập danh mục văn bản", "Rà soát, đánh giá"),
                          "done", "cv.snv4", "pgd.snv1", k=5),
                     Item("Rà soát văn bản QPPL do HĐND, UBND tỉnh Phú Yên (cũ) ban hành lĩnh vực nội vụ",
                          "Rà soát 47 văn bản còn hiệu lực.", "Báo cáo kết quả rà soát",
                          ("Lập danh mục văn bản", "Rà soát, đánh giá"),
                          "late", "cv.snv1", "pgd.snv1", k=0),
                     Item("Lập danh mục văn bản đề nghị bãi bỏ, thay thế, sửa đổi, bổ sung",
                          "Kèm dự thảo quyết định công bố danh mục.", "Danh mục văn bản đề nghị xử lý",
                          ("Tổng hợp kết quả rà soát", "Dự thảo danh mục"),
                          "overdue", "cv.snv4", "pgd.snv1", k=0),
                 )),
            Item("Theo dõi tình hình thi hành pháp luật trong lĩnh vực nội vụ",
                 "Trọng tâm: thi hành pháp luật về cán bộ, công chức sau sắp xếp.",
                 "Báo cáo theo dõi thi hành pháp luật",
                 ("Xây dựng kế hoạch theo dõi", "Kiểm tra tại một số cơ quan, đơn vị", "Báo cáo kết quả"),
                 "later", "cv.snv4", "pgd.snv1", k=2, coordinators=("STP",)),
            Item("Tự kiểm tra văn bản quy phạm pháp luật do Sở Nội vụ tham mưu ban hành",
                 "Kiểm tra tính hợp hiến, hợp pháp và thống nhất của văn bản.",
                 "Báo cáo kết quả tự kiểm tra văn bản",
                 ("Lập danh mục văn bản cần kiểm tra", "Kiểm tra, báo cáo"),
                 "done", "cv.snv1", "pgd.snv1", k=2),
        )),
        ("tthc", (
            Item("Rà soát, đơn giản hóa thủ tục hành chính thuộc thẩm quyền giải quyết của Sở Nội vụ",
                 "Cắt giảm thời gian giải quyết, thành phần hồ sơ và chi phí tuân thủ.",
                 "Phương án đơn giản hóa TTHC được Chủ tịch UBND tỉnh thông qua",
                 ("Rà soát theo từng lĩnh vực", "Xây dựng phương án đơn giản hóa", "Trình Chủ tịch UBND tỉnh"),
                 "within", "cv.snv1", "pgd.snv1", k=7, coordinators=("VPUBND",),
                 indicator=("Tỷ lệ TTHC được đơn giản hóa", "%", 20),
                 children=(
                     Item("Rà soát TTHC lĩnh vực thi đua, khen thưởng",
                          "12 thủ tục cấp tỉnh, 4 thủ tục cấp xã.", "Biểu rà soát TTHC lĩnh vực thi đua, khen thưởng",
                          ("Rà soát theo biểu mẫu", "Đề xuất phương án"),
                          "done", "cv.snv1", "pgd.snv1", k=3),
                     Item("Rà soát TTHC lĩnh vực tín ngưỡng, tôn giáo",
                          "Phối hợp Sở Dân tộc và Tôn giáo đối với thủ tục chuyển giao.",
                          "Biểu rà soát TTHC lĩnh vực tín ngưỡng, tôn giáo",
                          ("Rà soát theo biểu mẫu", "Đề xuất phương án"),
                          "late", "cv.snv5", "pgd.snv1", k=2, coordinators=("SDTTG",)),
                     Item("Rà soát TTHC lĩnh vực lao động, việc làm, người có công",
                          "Các thủ tục Sở Nội vụ tiếp nhận từ Sở Lao động - Thương binh và Xã hội (cũ).",
                          "Biểu rà soát TTHC lĩnh vực lao động, người có công",
                          ("Rà soát theo biểu mẫu", "Đề xuất phương án"),
                          "within", "cv.snv3", "pgd.snv1", k=0),
                     Item("Xây dựng phương án đơn giản hóa TTHC, trình Chủ tịch UBND tỉnh thông qua",
                          "Tổng hợp phương án của các lĩnh vực.", "Tờ trình và dự thảo quyết định thông qua phương án",
                          ("Tổng hợp phương án", "Trình Chủ tịch UBND tỉnh"),
                          "later", "cv.snv1", "pgd.snv1", k=1),
                 )),
            Item("Công bố danh mục TTHC, quy trình nội bộ giải quyết TTHC lĩnh vực nội vụ sau sắp xếp",
                 "Danh mục và quy trình nội bộ thống nhất cho tỉnh Đắk Lắk mới.",
                 "Quyết định công bố của Chủ tịch UBND tỉnh; dữ liệu cập nhật trên CSDL quốc gia về TTHC",
                 ("Dự thảo danh mục, quy trình", "Trình Chủ tịch UBND tỉnh công bố",
                  "Cập nhật lên Cơ sở dữ liệu quốc gia về TTHC"),
                 "early", "cv.snv1", "pgd.snv1", k=1),
            Item("Cập nhật, công khai đầy đủ TTHC lĩnh vực nội vụ trên Cổng Dịch vụ công quốc gia và "
                 "Hệ thống thông tin giải quyết TTHC tỉnh",
                 "Bảo đảm thông tin TTHC thống nhất giữa các hệ thống.",
                 "Báo cáo kết quả rà soát, công khai TTHC",
                 ("Đối chiếu dữ liệu giữa các hệ thống", "Cập nhật, công khai"),
                 "submitted", "cv.snv1", "pgd.snv1", k=2,
                 indicator=("Tỷ lệ TTHC được công khai đầy đủ", "%", 100),
                 note="Đã công khai 100% TTHC (148/148); gửi kèm báo cáo đối chiếu."),
            Item("Số hóa hồ sơ, kết quả giải quyết TTHC còn hiệu lực thuộc thẩm quyền của Sở Nội vụ",
                 "Theo Nghị định 45/2020/NĐ-CP; ưu tiên kết quả còn hiệu lực có giá trị tái sử dụng.",
                 "Kho dữ liệu kết quả giải quyết TTHC đã số hóa",
                 ("Lập danh mục hồ sơ cần số hóa", "Số hóa, ký số", "Cập nhật kho dữ liệu"),
                 "within", "cv.snv3", "pgd.snv1", k=4, coordinators=("VPUBND",),
                 indicator=("Tỷ lệ kết quả giải quyết TTHC được số hóa", "%", 100)),
            Item("Cung cấp dịch vụ công trực tuyến toàn trình đối với các TTHC lĩnh vực nội vụ đủ điều kiện",
                 "Tích hợp thanh toán trực tuyến và trả kết quả điện tử.",
                 "Danh mục DVC trực tuyến toàn trình được công bố",
                 ("Rà soát TTHC đủ điều kiện", "Cấu hình quy trình điện tử", "Công bố danh mục"),
                 "within", "cv.snv3", "pgd.snv1", k=2, coordinators=("VPUBND", "SKHCN"),
                 indicator=("Tỷ lệ DVC trực tuyến toàn trình", "%", 80)),
            Item("Tiếp nhận, xử lý phản ánh, kiến nghị của cá nhân, tổ chức về quy định hành chính",
                 "Qua Cổng Dịch vụ công quốc gia, đường dây nóng và hộp thư góp ý của Sở.",
                 "Phản ánh, kiến nghị được trả lời và công khai",
                 ("Tiếp nhận, phân loại", "Xử lý, trả lời", "Công khai kết quả xử lý"),
                 "year", "cv.snv2", "pgd.snv1",
                 indicator=("Tỷ lệ phản ánh, kiến nghị được xử lý đúng hạn", "%", 100)),
            Item("Chấm điểm Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người dân, "
                 "doanh nghiệp hằng tháng",
                 "Theo Quyết định số 766/QĐ-TTg; theo dõi các chỉ số thành phần bị điểm thấp.",
                 "Báo cáo kết quả chấm điểm hằng tháng",
                 ("Khai thác số liệu trên Cổng Dịch vụ công quốc gia", "Phân tích, đề xuất khắc phục"),
                 "year", "cv.snv6", "pgd.snv1", lead="SNV-CCHC"),
            Item("Tổ chức tập huấn nghiệp vụ kiểm soát thủ tục hành chính cho công chức cấp xã sau sắp xếp",
                 "Tập huấn cho công chức đầu mối kiểm soát TTHC của 102 xã, phường.",
                 "02 lớp tập huấn, tài liệu tập huấn", (),
                 "within", "cv.snv6", "pgd.snv1", k=3, lead="SNV-CCHC"),
            Item("Giải quyết hồ sơ TTHC đúng hạn, công khai xin lỗi khi để hồ sơ trễ hạn",
                 "Theo dõi hồ sơ trên Hệ thống thông tin giải quyết TTHC tỉnh hằng tuần.",
                 "Báo cáo tình hình giải quyết hồ sơ TTHC hằng quý",
                 ("Theo dõi hồ sơ hằng tuần", "Nhắc việc hồ sơ sắp đến hạn", "Báo cáo quý"),
                 "year", "cv.snv2", "pgd.snv1",
                 indicator=("Tỷ lệ hồ sơ giải quyết đúng hạn", "%", 98)),
            Item("Chuẩn hóa quy trình nội bộ, quy trình điện tử giải quyết TTHC trên Hệ thống thông tin "
                 "giải quyết TTHC tỉnh",
                 "Cấu hình lại quy trình điện tử sau khi công bố danh mục TTHC mới.",
                 "Quy trình điện tử được cấu hình và vận hành",
                 ("Rà soát quy trình đang cấu hình", "Cấu hình lại, chạy thử", "Đưa vào vận hành"),
                 "soon", "cv.snv6", "pgd.snv1", k=1, lead="SNV-CCHC", coordinators=("VPUBND", "SKHCN")),
            Item("Theo dõi, đánh giá hoạt động của Trung tâm Phục vụ hành chính công tỉnh theo cơ chế một "
                 "cửa, một cửa liên thông",
                 "Tiếp nhận, trả kết quả TTHC của các sở, ngành tại một đầu mối.",
                 "Báo cáo kết quả hoạt động của Trung tâm hằng quý",
                 ("Bố trí công chức tiếp nhận", "Theo dõi, đánh giá chất lượng phục vụ"),
                 "year", "cv.snv2", "pgd.snv1", coordinators=("VPUBND",),
                 indicator=("Tỷ lệ hồ sơ giải quyết đúng hạn tại Trung tâm", "%", 98)),
        )),
        ("bomay", (
            Item("Tham mưu quy định chức năng, nhiệm vụ, quyền hạn và cơ cấu tổ chức của các sở, ngành "
                 "sau sắp xếp",
                 "Quyết định quy định chức năng, nhiệm vụ thay thế các quyết định của hai tỉnh (cũ).",
                 "Quyết định của UBND tỉnh quy định chức năng, nhiệm vụ của 13 sở, ngành",
                 ("Hướng dẫn các sở, ngành xây dựng dự thảo", "Thẩm định dự thảo", "Trình UBND tỉnh ban hành"),
                 "late", "cv.snv5", "gd.snv", k=4, lead="SNV-TCBC",
                 note="Hoàn thành chậm do phải chờ Thông tư hướng dẫn của bộ, ngành Trung ương."),
            Item("Thẩm định đề án vị trí việc làm của các cơ quan, tổ chức hành chính sau sắp xếp",
                 "Thẩm định theo hướng dẫn của Bộ Nội vụ về vị trí việc làm.",
                 "Quyết định phê duyệt vị trí việc làm",
                 ("Tiếp nhận đề án", "Thẩm định", "Trình phê duyệt"),
                 "within", "cv.snv5", "pgd.snv2", k=3, lead="SNV-TCBC",
                 children=(
                     Item("Thẩm định đề án vị trí việc làm của các sở, ngành",
                          "13 sở, ngành và Văn phòng UBND tỉnh.", "Báo cáo thẩm định",
                          ("Tiếp nhận đề án", "Thẩm định"),
                          "within", "cv.snv5", "pgd.snv2", k=0, lead="SNV-TCBC"),
                     Item("Thẩm định đề án vị trí việc làm của UBND xã, phường",
                          "102 xã, phường theo mô hình chính quyền địa phương hai cấp.", "Báo cáo thẩm định",
                          ("Tiếp nhận đề án", "Thẩm định"),
                          "overdue", "cv.snv5", "pgd.snv2", k=2, lead="SNV-TCBC",
                          note="Còn 27 xã, phường chưa nộp đề án; đã có văn bản đôn đốc lần 2."),
                 )),
            Item("Rà soát, sắp xếp, tổ chức lại các đơn vị sự nghiệp công lập trực thuộc UBND tỉnh",
                 "Theo định hướng tinh gọn, giảm đầu mối đơn vị sự nghiệp.",
                 "Đề án sắp xếp đơn vị sự nghiệp công lập trình UBND tỉnh",
                 ("Rà soát hiện trạng", "Xây dựng đề án", "Trình UBND tỉnh"),
                 "within", "cv.snv5", "pgd.snv2", k=6, lead="SNV-TCBC", coordinators=("STC",),
                 indicator=("Số đơn vị sự nghiệp giảm", "đơn vị", 15)),
            Item("Theo dõi, đánh giá hoạt động của chính quyền địa phương hai cấp sau sắp xếp",
                 "Khảo sát tại xã, phường; tổng hợp khó khăn, vướng mắc để kiến nghị xử lý.",
                 "Báo cáo đánh giá định kỳ 6 tháng",
                 ("Xây dựng bộ câu hỏi khảo sát", "Khảo sát tại cơ sở", "Báo cáo đánh giá"),
                 "year", "cv.snv4", "gd.snv"),
            Item(f"Quản lý, giao biên chế công chức, số lượng người làm việc năm {y}",
                 "Giao biên chế cho các cơ quan, đơn vị theo Nghị quyết của HĐND tỉnh.",
                 "Quyết định giao biên chế của UBND tỉnh",
                 ("Tổng hợp nhu cầu", "Dự thảo phương án giao biên chế", "Trình UBND tỉnh"),
                 "done", "cv.snv5", "pgd.snv2", k=9, lead="SNV-TCBC"),
            Item("Rà soát, cập nhật danh mục vị trí việc làm và cơ cấu ngạch công chức tại các phòng thuộc Sở",
                 "Cập nhật sau khi tiếp nhận chức năng, nhiệm vụ mới.",
                 "Danh mục vị trí việc làm được cập nhật",
                 ("Rà soát", "Cập nhật danh mục"),
                 "within", None, "gd.snv", k=1),
            Item("Kiểm tra việc thực hiện quy định về tổ chức bộ máy, biên chế tại UBND xã, phường",
                 "Kiểm tra 10 xã, phường theo kế hoạch.", "Thông báo kết quả kiểm tra",
                 ("Xây dựng kế hoạch kiểm tra", "Kiểm tra", "Thông báo kết quả"),
                 "later", "cv.snv5", "pgd.snv2", k=0, lead="SNV-TCBC"),
        )),
        ("congvu", (
            Item(f"Xây dựng, triển khai Kế hoạch đào tạo, bồi dưỡng cán bộ, công chức, viên chức năm {y}",
                 "Ưu tiên công chức cấp xã sau sắp xếp và kỹ năng số.",
                 "Kế hoạch đào tạo, bồi dưỡng và báo cáo kết quả",
                 ("Tổng hợp nhu cầu", "Ban hành kế hoạch", "Tổ chức các lớp", "Báo cáo kết quả"),
                 "year", "cv.snv3", "pgd.snv2",
                 indicator=("Số lượt cán bộ, công chức được bồi dưỡng", "lượt", 2500),
                 children=(
                     Item("Bồi dưỡng kiến thức quản lý nhà nước cho công chức cấp xã",
                          "06 lớp tại Buôn Ma Thuột và Tuy Hòa.", "06 lớp bồi dưỡng được tổ chức",
                          ("Chiêu sinh", "Tổ chức lớp", "Cấp chứng chỉ"),
                          "within", "cv.snv3", "pgd.snv2", k=4,
                          indicator=("Số học viên", "người", 600)),
                     Item("Bồi dưỡng kỹ năng số, kỹ năng khai thác dữ liệu cho cán bộ, công chức",
                          "Phối hợp Sở Khoa học và Công nghệ tổ chức trực tuyến.", "Báo cáo kết quả bồi dưỡng",
                          ("Xây dựng nội dung", "Tổ chức bồi dưỡng trực tuyến"),
                          "done", "cv.snv3", "pgd.snv2", k=1, coordinators=("SKHCN",)),
                     Item("Tổng hợp, đánh giá kết quả đào tạo, bồi dưỡng năm",
                          "Đánh giá hiệu quả sau bồi dưỡng.", "Báo cáo kết quả đào tạo, bồi dưỡng",
                          ("Tổng hợp số liệu", "Dự thảo báo cáo"),
                          "later", "cv.snv3", "pgd.snv2", k=5),
                 )),
            Item(f"Tổ chức tuyển dụng công chức năm {y} theo vị trí việc làm còn thiếu",
                 "Thi tuyển tập trung, thi trên máy vi tính.", "Quyết định công nhận kết quả tuyển dụng",
                 ("Thông báo tuyển dụng", "Tổ chức thi", "Công nhận kết quả"),
                 "soon", "cv.snv5", "pgd.snv2", k=3, lead="SNV-TCBC",
                 note="Đã tổ chức thi vòng 2; đang chấm phúc khảo."),
            Item(f"Hướng dẫn đánh giá, xếp loại chất lượng cán bộ, công chức, viên chức năm {y}",
                 "Theo Nghị định số 335/2025/NĐ-CP, gắn với kết quả thực hiện nhiệm vụ được giao.",
                 "Văn bản hướng dẫn của Sở Nội vụ", ("Dự thảo hướng dẫn", "Ban hành hướng dẫn"),
                 "later", "cv.snv4", "pgd.snv2", k=7),
            Item("Kiểm tra công vụ, kỷ luật, kỷ cương hành chính tại các cơ quan, đơn vị",
                 "Kiểm tra đột xuất việc chấp hành thời giờ làm việc, quy tắc ứng xử.",
                 "Thông báo kết quả kiểm tra công vụ",
                 ("Xây dựng kế hoạch kiểm tra", "Kiểm tra đột xuất", "Thông báo kết quả"),
                 "within", "cv.snv2", "pgd.snv2", k=2),
            Item("Cập nhật, chuẩn hóa dữ liệu cán bộ, công chức, viên chức trên Cơ sở dữ liệu quốc gia "
                 "về cán bộ, công chức, viên chức",
                 "Đồng bộ dữ liệu sau sắp xếp, bảo đảm đúng, đủ, sạch, sống.",
                 "Dữ liệu được cập nhật, đồng bộ",
                 ("Rà soát dữ liệu", "Cập nhật, chuẩn hóa", "Đồng bộ với CSDL quốc gia"),
                 "within", "cv.snv4", "pgd.snv2", k=3,
                 indicator=("Tỷ lệ hồ sơ được cập nhật", "%", 100)),
            Item("Thực hiện chính sách, chế độ đối với cán bộ, công chức nghỉ việc theo Nghị định số "
                 "178/2024/NĐ-CP",
                 "Thẩm định hồ sơ, trình phê duyệt kinh phí chi trả.", "Quyết định phê duyệt danh sách, kinh phí",
                 ("Tiếp nhận hồ sơ", "Thẩm định", "Trình phê duyệt"),
                 "late", "cv.snv5", "pgd.snv2", k=2, lead="SNV-TCBC", coordinators=("STC",)),
            Item("Xây dựng kế hoạch tuyên truyền, phổ biến Quy tắc ứng xử của cán bộ, công chức",
                 "Gắn với văn hóa công vụ tại bộ phận một cửa.", "Kế hoạch tuyên truyền được ban hành",
                 ("Dự thảo kế hoạch", "Ban hành kế hoạch"),
                 "within", "cv.snv2", None, k=5),
            Item("Thực hiện quy trình bổ nhiệm, bổ nhiệm lại công chức lãnh đạo, quản lý thuộc thẩm quyền",
                 "Theo quy định về phân cấp quản lý cán bộ của Tỉnh ủy.", "Quyết định bổ nhiệm",
                 ("Rà soát quy hoạch", "Thực hiện quy trình", "Trình quyết định"),
                 "overdue", "cv.snv4", "pgd.snv2", k=2,
                 note="Chờ ý kiến thống nhất của Ban Tổ chức Tỉnh ủy."),
        )),
        ("taichinh", (
            Item(f"Xây dựng, ban hành Quy chế chi tiêu nội bộ năm {y} của Sở Nội vụ",
                 "Cập nhật định mức chi theo quy định mới.", "Quyết định ban hành Quy chế chi tiêu nội bộ",
                 ("Dự thảo quy chế", "Lấy ý kiến công chức, người lao động", "Ban hành"),
                 "fixed", "cv.snv2", "pgd.snv2", dates=((1, 5), (2, 10))),
            Item("Thực hiện cơ chế tự chủ tài chính tại các đơn vị sự nghiệp công lập trực thuộc Sở",
                 "Giao quyền tự chủ theo Nghị định 60/2021/NĐ-CP.", "Quyết định giao quyền tự chủ tài chính",
                 ("Rà soát phương án tự chủ", "Thẩm định", "Giao quyền tự chủ"),
                 "within", "cv.snv2", "pgd.snv2", k=6, coordinators=("STC",)),
            Item(f"Công khai dự toán, quyết toán ngân sách năm {y} của Sở Nội vụ",
                 "Công khai trên Cổng thông tin điện tử của Sở theo quy định.", "Quyết định công bố công khai",
                 ("Dự thảo báo cáo công khai", "Đăng tải"),
                 "submitted", "cv.snv2", "pgd.snv2", k=0,
                 note="Đã đăng tải trên Cổng thông tin điện tử của Sở."),
            Item("Thực hành tiết kiệm, chống lãng phí trong sử dụng kinh phí chi thường xuyên",
                 "Tiết kiệm điện, văn phòng phẩm, hội nghị; ưu tiên họp trực tuyến.",
                 "Báo cáo kết quả thực hành tiết kiệm, chống lãng phí",
                 ("Giao chỉ tiêu tiết kiệm", "Theo dõi, báo cáo"),
                 "year", "cv.snv2", "pgd.snv2",
                 indicator=("Tỷ lệ tiết kiệm chi thường xuyên", "%", 10)),
            Item("Rà soát, xử lý trụ sở, tài sản công dôi dư sau sắp xếp thuộc phạm vi quản lý của Sở",
                 "Đề xuất phương án xử lý trụ sở của Sở Nội vụ tỉnh Phú Yên (cũ).", "Phương án xử lý tài sản trình UBND tỉnh",
                 ("Kiểm kê tài sản", "Đề xuất phương án", "Trình UBND tỉnh"),
                 "overdue", "cv.snv2", "pgd.snv2", k=4, coordinators=("STC",),
                 note="Đang chờ Sở Tài chính thẩm định giá trị còn lại."),
        )),
        ("cqso", (
            Item("Số hóa tài liệu lưu trữ lịch sử tại Lưu trữ lịch sử tỉnh",
                 "Ưu tiên tài liệu của các cơ quan đã giải thể, sáp nhập.", "Cơ sở dữ liệu tài liệu lưu trữ số",
                 ("Chỉnh lý tài liệu", "Số hóa", "Cập nhật cơ sở dữ liệu"),
                 "year", "cv.snv4", "pgd.snv1",
                 indicator=("Số trang tài liệu được số hóa", "trang", 500000)),
            Item("Gửi, nhận văn bản điện tử có ký số qua Hệ thống quản lý văn bản và điều hành",
                 "Trừ văn bản mật theo quy định.", "Văn bản đi được ký số, gửi trên môi trường điện tử",
                 ("Theo dõi tỷ lệ văn bản ký số", "Báo cáo hằng quý"),
                 "year", "cv.snv1", "pgd.snv1",
                 indicator=("Tỷ lệ văn bản đi được ký số", "%", 100)),
            Item("Kết nối hệ thống hội nghị truyền hình trực tuyến từ tỉnh đến 102 xã, phường",
                 "Bảo đảm họp trực tuyến thông suốt giữa hai cấp chính quyền.", "102 điểm cầu được nghiệm thu",
                 ("Khảo sát hạ tầng", "Lắp đặt thiết bị", "Nghiệm thu điểm cầu"),
                 "returned", "cv.snv3", "pgd.snv1", k=0, coordinators=("SKHCN",),
                 indicator=("Số điểm cầu được kết nối", "điểm cầu", 102),
                 note="Chưa đủ minh chứng: bổ sung biên bản nghiệm thu tại 14 điểm cầu cấp xã còn thiếu."),
            Item("Vận hành, khai thác Phần mềm quản lý hồ sơ cán bộ, công chức, viên chức của tỉnh",
                 "Hướng dẫn các cơ quan, đơn vị cập nhật hồ sơ.", "Phần mềm vận hành ổn định, báo cáo quý",
                 ("Tập huấn sử dụng", "Hỗ trợ vận hành"),
                 "within", "cv.snv4", "pgd.snv1", k=4),
            Item("Bảo đảm an toàn thông tin cho hệ thống thông tin của Sở theo cấp độ",
                 "Xác định cấp độ, phương án bảo đảm an toàn thông tin.", "Hồ sơ đề xuất cấp độ được phê duyệt",
                 ("Xây dựng hồ sơ đề xuất cấp độ", "Thẩm định", "Phê duyệt"),
                 "later", "cv.snv1", "pgd.snv1", k=3, coordinators=("SKHCN",)),
            Item("Kết nối, chia sẻ dữ liệu giữa Hệ thống thông tin giải quyết TTHC tỉnh và Cơ sở dữ liệu "
                 "quốc gia về dân cư",
                 "Khai thác thông tin công dân, giảm giấy tờ người dân phải nộp.",
                 "Kết nối chính thức được vận hành",
                 ("Đăng ký kết nối", "Kiểm thử", "Vận hành chính thức"),
                 "overdue", "cv.snv4", "pgd.snv1", k=1, coordinators=("VPUBND", "SKHCN"),
                 note="Đang chờ Công an tỉnh cấp tài khoản kết nối chính thức."),
            Item("Nâng cấp Cổng thông tin điện tử của Sở đáp ứng truy cập trên thiết bị di động",
                 "Giao diện thích ứng, đáp ứng tiêu chuẩn truy cập.", "Cổng thông tin điện tử được nâng cấp",
                 ("Khảo sát yêu cầu", "Nâng cấp", "Nghiệm thu"),
                 "undated", "cv.snv1", "pgd.snv1"),
        )),
    )


def _skhcn_plan(y: int) -> Groups:
    """A smaller, fully clear plan of the Department of Science and Technology."""
    return (
        ("chidao", (
            Item(f"Xây dựng, ban hành Kế hoạch cải cách hành chính năm {y} của Sở Khoa học và Công nghệ",
                 "Cụ thể hóa Kế hoạch CCHC của UBND tỉnh.", "Kế hoạch CCHC được ban hành",
                 ("Dự thảo kế hoạch", "Trình Giám đốc Sở ký ban hành"),
                 "fixed", "cv.skhcn2", "gd.skhcn", dates=((1, 3), (1, 12))),
            Item(f"Báo cáo công tác cải cách hành chính 6 tháng đầu năm {y}",
                 "Gửi Sở Nội vụ tổng hợp.", "Báo cáo CCHC 6 tháng",
                 ("Tổng hợp số liệu", "Trình ký, gửi báo cáo"),
                 "fixed", "cv.skhcn2", "gd.skhcn", dates=((6, 1), (6, 12))),
        )),
        ("tthc", (
            Item("Rà soát, đơn giản hóa TTHC lĩnh vực khoa học, công nghệ và đổi mới sáng tạo",
                 "Cắt giảm thành phần hồ sơ, thời gian giải quyết.", "Phương án đơn giản hóa trình UBND tỉnh",
                 ("Rà soát", "Xây dựng phương án", "Trình UBND tỉnh"),
                 "within", "cv.skhcn2", "pgd.skhcn2", k=3),
            Item("Cung cấp dịch vụ công trực tuyến toàn trình lĩnh vực viễn thông, bưu chính, tần số",
                 "Tích hợp thanh toán trực tuyến.", "Danh mục DVC trực tuyến toàn trình được công bố",
                 ("Rà soát TTHC đủ điều kiện", "Cấu hình quy trình", "Công bố"),
                 "late", "cv.skhcn2", "pgd.skhcn2", k=1,
                 indicator=("Tỷ lệ DVC trực tuyến toàn trình", "%", 90)),
        )),
        ("cqso", (
            Item("Nâng cấp Trung tâm Giám sát, điều hành thông minh (IOC) tỉnh sau hợp nhất",
                 "Tích hợp dữ liệu của hai tỉnh (cũ) vào một nền tảng.", "IOC vận hành trên toàn tỉnh",
                 ("Khảo sát, thiết kế", "Triển khai", "Nghiệm thu"),
                 "within", "cv.skhcn3", "pgd.skhcn1", k=6, weight=2,
                 children=(
                     Item("Tích hợp dữ liệu phản ánh hiện trường vào IOC",
                          "Kết nối ứng dụng phản ánh hiện trường của tỉnh.", "Phân hệ phản ánh hiện trường trên IOC",
                          ("Kết nối API", "Kiểm thử"),
                          "done", "cv.skhcn3", "pgd.skhcn1", k=2),
                     Item("Tích hợp dữ liệu giải quyết TTHC vào IOC",
                          "Hiển thị số liệu hồ sơ theo xã, phường.", "Phân hệ TTHC trên IOC",
                          ("Kết nối API", "Kiểm thử"),
                          "soon", "cv.skhcn3", "pgd.skhcn1", k=1),
                 )),
            Item("Kết nối Nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh (LGSP) với Nền tảng NDXP",
                 "Chia sẻ dữ liệu với các bộ, ngành Trung ương.", "Kết nối LGSP - NDXP vận hành",
                 ("Nâng cấp LGSP", "Kết nối thử nghiệm", "Vận hành chính thức"),
                 "overdue", "cv.skhcn1", "pgd.skhcn1", k=2,
                 note="Chờ Cục Chuyển đổi số quốc gia cấp chứng thư kết nối."),
            Item("Phổ cập kỹ năng số cho người dân thông qua Tổ công nghệ số cộng đồng",
                 "Hướng dẫn người dân cài đặt VNeID, nộp hồ sơ trực tuyến.", "Báo cáo kết quả phổ cập kỹ năng số",
                 ("Tập huấn Tổ công nghệ số cộng đồng", "Hướng dẫn người dân"),
                 "year", "cv.skhcn1", "pgd.skhcn1",
                 indicator=("Số người dân được hướng dẫn", "người", 50000)),
            Item("Cấp chứng thư chữ ký số cho cán bộ, công chức cấp xã sau sắp xếp",
                 "Phối hợp Ban Cơ yếu Chính phủ.", "Chứng thư số được cấp",
                 ("Tổng hợp nhu cầu", "Cấp chứng thư"),
                 "done", "cv.skhcn1", "pgd.skhcn1", k=7,
                 indicator=("Số chứng thư số được cấp", "chứng thư", 1800)),
            Item("Giám sát an toàn thông tin mạng cho các hệ thống thông tin của tỉnh (SOC)",
                 "Giám sát 24/7, kết nối với Trung tâm giám sát quốc gia.", "Báo cáo giám sát hằng tháng",
                 ("Cập nhật danh mục hệ thống", "Giám sát, cảnh báo"),
                 "year", "cv.skhcn3", "pgd.skhcn1"),
            Item(f"Đánh giá mức độ chuyển đổi số (DTI) năm {y - 1} của các sở, ngành và UBND cấp xã",
                 "Theo bộ chỉ số DTI của Bộ Khoa học và Công nghệ.", "Quyết định công bố kết quả DTI",
                 ("Hướng dẫn tự đánh giá", "Thẩm định", "Trình công bố"),
                 "done", "cv.skhcn2", "pgd.skhcn1", k=5),
            Item("Triển khai Kế hoạch thực hiện Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, "
                 "công nghệ, đổi mới sáng tạo và chuyển đổi số",
                 "Giao nhiệm vụ cụ thể cho các sở, ngành, xã, phường.", "Báo cáo kết quả thực hiện gửi Tỉnh ủy",
                 ("Theo dõi các sở, ngành", "Tổng hợp báo cáo"),
                 "within", "cv.skhcn2", "gd.skhcn", k=4),
        )),
    )


def _ward_plan(y: int) -> Groups:
    """The CCHC plan of the ward of Buôn Ma Thuột: few tasks, every one clear."""
    return (
        ("tthc", (
            Item("Niêm yết, công khai TTHC thuộc thẩm quyền của UBND phường tại Bộ phận Một cửa",
                 "Cập nhật theo danh mục TTHC cấp xã mới công bố.", "Bảng niêm yết và mã QR tra cứu TTHC",
                 ("Rà soát danh mục", "Niêm yết"),
                 "done", "cc.buonmathuot1", "pct.buonmathuot", k=6),
            Item("Hướng dẫn người dân nộp hồ sơ, thanh toán phí, lệ phí trực tuyến tại Bộ phận Một cửa",
                 "Bố trí đoàn viên thanh niên hỗ trợ tại quầy.", "Báo cáo tỷ lệ hồ sơ nộp trực tuyến hằng tháng",
                 ("Bố trí người hướng dẫn", "Theo dõi, báo cáo"),
                 "year", "cc.buonmathuot1", "pct.buonmathuot",
                 indicator=("Tỷ lệ hồ sơ nộp trực tuyến", "%", 60)),
            Item("Số hóa sổ hộ tịch lưu trữ tại UBND phường",
                 "Số hóa sổ đăng ký khai sinh, kết hôn, khai tử từ năm 1999.", "Dữ liệu hộ tịch được số hóa",
                 ("Chỉnh lý sổ", "Số hóa, nhập liệu"),
                 "within", "cc.buonmathuot2", "pct.buonmathuot", k=5,
                 indicator=("Số sổ hộ tịch được số hóa", "sổ", 420)),
        )),
        ("bomay", (
            Item("Bố trí công chức theo vị trí việc làm của UBND phường sau sắp xếp",
                 "Sắp xếp công chức từ các phường cũ vào các phòng chuyên môn.", "Quyết định phân công công chức",
                 ("Rà soát công chức", "Phân công"),
                 "overdue", "cc.buonmathuot1", "ct.buonmathuot", k=3,
                 note="Chờ Sở Nội vụ thẩm định đề án vị trí việc làm."),
        )),
        ("chidao", (
            Item(f"Tự kiểm tra công tác cải cách hành chính năm {y} của UBND phường",
                 "Tự kiểm tra tại bộ phận một cửa và các phòng chuyên môn.", "Báo cáo kết quả tự kiểm tra",
                 ("Xây dựng kế hoạch", "Tự kiểm tra", "Báo cáo"),
                 "later", "cc.buonmathuot2", "ct.buonmathuot", k=1),
            Item("Tiếp nhận, trả lời phản ánh, kiến nghị của người dân về thủ tục hành chính",
                 "Qua hộp thư góp ý, đường dây nóng và ứng dụng phản ánh hiện trường.",
                 "Phản ánh, kiến nghị được trả lời đúng hạn",
                 ("Tiếp nhận", "Trả lời, công khai"),
                 "year", "cc.buonmathuot2", "ct.buonmathuot"),
        )),
    )


# ---------------------------------------------------------------- dates


def _clamp(d: date, lo: date, hi: date) -> date:
    return min(max(d, lo), hi)


def _window(item: Item, today: date, year: int, soon_days: int) -> tuple[date | None, date | None]:
    """Start and due dates for the item as of `today`, before fitting them into the year."""
    k = item.k

    def ago(n: int) -> date:
        return today - timedelta(days=n)

    if item.dates:
        (m1, d1), (m2, d2) = item.dates
        return date(year, m1, d1), date(year, m2, d2)
    return {
        "done": (ago(75 + 5 * k), ago(6 + 4 * k)),
        "early": (ago(50 + 3 * k), ago(-20 - 5 * k)),
        "late": (ago(80 + 5 * k), ago(22 + 3 * k)),
        "overdue": (ago(70 + 4 * k), ago(3 + 5 * k)),
        "soon": (ago(40 + 6 * k), ago(-min(k, soon_days))),
        "within": (ago(30 + 7 * k), ago(-25 - 12 * k)),
        "submitted": (ago(45 + 5 * k), ago(-8 - 4 * k)),
        "returned": (ago(60 + 5 * k), ago(-15 - 5 * k)),
        "later": (ago(-12 - 6 * k), ago(-60 - 15 * k)),
        "year": (date(year, 1, 15), date(year, 12, 15)),
        "undated": (None, None),
    }[item.when]


def _fit(start: date | None, due: date | None, lo: date, hi: date) -> tuple[date | None, date | None]:
    """Keep both dates inside [lo, hi] (the plan's year, or the parent task's dates)."""
    if start is None or due is None:
        return start, due
    due = _clamp(due, lo, hi)
    start = min(_clamp(start, lo, hi), due)
    return start, due


def _step_dates(n: int, start: date | None, due: date | None) -> list[date | None]:
    """`n` step dates spread over the task's dates; the last step falls on the due date."""
    if start is None or due is None:
        return [None] * n
    span = (due - start).days
    return [start + timedelta(days=span * i // n) for i in range(1, n + 1)]


# ---------------------------------------------------------------- the clock


class _Clock:
    """Stamps the rows each seeding step creates with the moment it pretends to happen,
    so that histories, progress reports and audit rows read in calendar order."""

    STAMPED = ("at", "created_at", "requested_at", "uploaded_at")

    def __init__(self) -> None:
        self.now: datetime | None = None

    def on(self, day: date, minute: int = 0) -> datetime:
        """Set the clock to `day` at 8 o'clock local time (+ `minute`), never after now."""
        db.session.flush()  # rows of the previous step keep the previous moment
        local = datetime.combine(day, time(8, 0)) + timedelta(minutes=minute)
        self.now = min(local - timedelta(hours=7), utcnow())  # Asia/Ho_Chi_Minh is UTC+7, no DST
        return self.now

    def before_flush(self, session, flush_context, instances) -> None:
        if self.now is None:
            return
        for obj in session.new:
            for name in self.STAMPED:
                if hasattr(obj, name) and getattr(obj, name) is None:
                    setattr(obj, name, self.now)
        for obj in session.dirty:
            if isinstance(obj, Task):
                obj.updated_at = self.now


# ---------------------------------------------------------------- seeding


@dataclass
class _Ctx:
    today: date
    year: int
    clock: _Clock
    soon_days: int
    settings: Settings
    users: dict[str, User]
    units: dict[str, Unit]
    fields: dict[str, Field]


def seed(today: date, settings: Settings) -> str:
    """Create the demo province, its people and plans as of `today` (the CLI passes today
    in Asia/Ho_Chi_Minh), with the app's `settings`; returns a summary to print. The
    caller commits."""
    if units.by_code(ROOT) is not None:
        raise RuleViolation("Dữ liệu mẫu đã có (đơn vị UBND66) / the demo data is already loaded.")
    clock = _Clock()
    session = db.session()
    event.listen(session, "before_flush", clock.before_flush)
    try:
        ctx = _Ctx(today, today.year, clock, settings.due_soon_days, settings, {}, {}, {})
        clock.on(min(date(ctx.year, 1, 2), today))
        with _one_hash():
            _seed_units_and_people(ctx)
        snv = _seed_plan(ctx, "SNV", "gd.snv", f"Kế hoạch cải cách hành chính năm {ctx.year} của Sở Nội vụ",
                         "15/KH-SNV", (1, 8), _snv_plan(ctx.year))
        skhcn = _seed_plan(ctx, "SKHCN", "gd.skhcn",
                           f"Kế hoạch cải cách hành chính năm {ctx.year} của Sở Khoa học và Công nghệ",
                           "12/KH-SKHCN", (1, 12), _skhcn_plan(ctx.year), issue=True)
        ward = _seed_plan(ctx, BMT, "ct.buonmathuot",
                          f"Kế hoạch cải cách hành chính năm {ctx.year} của UBND phường Buôn Ma Thuột",
                          "05/KH-UBND", (1, 15), _ward_plan(ctx.year))
        db.session.flush()
    finally:
        event.remove(session, "before_flush", clock.before_flush)
    quality_demo.seed(today, settings)
    return _summary(ctx, snv, skhcn, ward)


@contextmanager
def _one_hash() -> Iterator[None]:
    """Hash the shared demo password once: argon2 takes ~0.1-0.5 s per hash, and every
    demo account has the same published password anyway."""
    real = users.hash_password
    digest = real(DEMO_PASSWORD)
    users.hash_password = lambda password: digest if password == DEMO_PASSWORD else real(password)
    try:
        yield
    finally:
        users.hash_password = real


def _seed_units_and_people(ctx: _Ctx) -> None:
    """The unit tree, the fields and every demo account."""
    root = units.add_unit(ROOT, "UBND tỉnh Đắk Lắk", None, "province")
    spec = PEOPLE[0]
    admin = users.add_user(spec[0], spec[1], ROOT, spec[3], DEMO_PASSWORD, title=spec[4])
    for code, name in DEPARTMENTS:
        units.add_unit(code, name, ROOT, "department", actor_id=admin.id)
    for code, name, parent, kind in SUB_UNITS:
        units.add_unit(code, name, parent, kind, actor_id=admin.id)
    units.import_official(PROVINCE_CODE, parent_code=ROOT, actor_id=admin.id)
    ctx.units = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.path.like(root.path + "%")))}
    for key, name in FIELDS.items():
        field = Field(unit_id=None, name=name, name_sort=sort_key(name))
        db.session.add(field)
        ctx.fields[key] = field
    db.session.flush()
    ctx.users[admin.username] = admin
    links = []
    for username, full_name, unit_code, role, title, field_keys in PEOPLE[1:]:
        user = users.add_user(username, full_name, unit_code, role, DEMO_PASSWORD, title=title,
                              actor_id=admin.id)
        ctx.users[username] = user
        links += [{"user_id": user.id, "field_id": ctx.fields[k].id} for k in field_keys]
    # The relationship is lazy="raise"; linking rows directly avoids loading it.
    db.session.execute(insert(user_fields), links)


def _seed_plan(ctx: _Ctx, unit_code: str, head: str, title: str, doc_number: str,
               doc_day: tuple[int, int], groups: Groups, issue: bool = False) -> Plan:
    """Create a plan as its unit's head, add its tasks, issue it if asked, then walk each task."""
    actor = ctx.users[head]
    doc_date = min(date(ctx.year, *doc_day), ctx.today)
    ctx.clock.on(doc_date - timedelta(days=3))
    plan = plans.create_plan(actor, plans.PlanInput(
        unit_id=ctx.units[unit_code].id, year=ctx.year, kind=PlanKind.CCHC, title=title,
        doc_number=doc_number, doc_date=doc_date))
    created: list[tuple[Task, Item]] = []
    for field_key, items in groups:
        for item in items:
            _create(ctx, actor, plan, field_key, item, None, created)
    if issue:
        ctx.clock.on(doc_date, 120)
        plan, unclear = plans.issue_plan(actor, plan.id)
        if unclear:  # a mistake in the demo data itself, not a user error
            raise RuntimeError(f"demo plan {doc_number} has unclear tasks: {[t.title for t, _ in unclear]}")
        plan.issued_at = ctx.clock.now
    for minute, (task, item) in enumerate(created):
        _walk(ctx, plan, task, item, minute % 240)
    return plan


def _create(ctx: _Ctx, actor: User, plan: Plan, field_key: str, item: Item, parent: Task | None,
            out: list[tuple[Task, Item]]) -> None:
    """Create one task (and its sub-tasks) through the service, dates fitted into the year."""
    start, due = _window(item, ctx.today, ctx.year, ctx.soon_days)
    start, due = _fit(start, due, date(ctx.year, 1, 1), date(ctx.year, 12, 31))
    if parent is not None and parent.start_on and parent.due_on:
        start, due = _fit(start, due, parent.start_on, parent.due_on)
    leader = ctx.users.get(item.leader) if item.leader else None
    responsibility = item.responsibility or (
        f"Chủ trì tham mưu, tổ chức thực hiện; chịu trách nhiệm trước {leader.title} về tiến độ "
        f"và chất lượng sản phẩm." if leader else
        "Chủ trì tổ chức thực hiện, chịu trách nhiệm về tiến độ và chất lượng sản phẩm.")
    lead = ctx.units[item.lead or plan.unit.code]
    indicator = item.indicator or ("", "", None)
    data = tasks.TaskInput(
        title=item.title, description=item.description,
        assignee_id=ctx.users[item.assignee].id if item.assignee else None,
        lead_unit_id=lead.id, coordinator_ids=[ctx.units[c].id for c in item.coordinators],
        leader_id=leader.id if leader else None, responsibility=responsibility,
        steps=[tasks.StepInput(t, d) for t, d in zip(item.steps, _step_dates(len(item.steps), start, due))],
        start_on=start, due_on=due, output_product=item.output,
        indicator_name=indicator[0], indicator_unit=indicator[1],
        indicator_target=Decimal(indicator[2]) if indicator[2] is not None else None,
        field_id=ctx.fields[field_key].id, weight=Decimal(item.weight))
    task = tasks.create_task(actor, plan.id, data, parent_id=parent.id if parent else None,
                             today=ctx.today, settings=ctx.settings.task_rules)
    out.append((task, item))
    for child in item.children:
        _create(ctx, actor, plan, field_key, child, task, out)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _walk(ctx: _Ctx, plan: Plan, task: Task, item: Item, minute: int) -> None:
    """Play the task's life up to today: progress reports, ticked steps, submission, review."""
    today, clock = ctx.today, ctx.clock
    assignee = ctx.users.get(item.assignee) if item.assignee else None
    if assignee is None or task.start_on is None or task.due_on is None or task.start_on > today:
        return  # unassigned, undated or not started yet: nothing has happened
    if breakdown.has_children(task.id):
        return  # a parent's progress and completion come from its sub-tasks (DESIGN.md 5)
    start, due = task.start_on, task.due_on
    reviewer = ctx.users.get(item.leader) if item.leader else None
    reviewer = reviewer or ctx.users[_head_of(plan)]
    steps = db.session.scalars(select(ProcessStep).where(ProcessStep.task_id == task.id)
                               .order_by(ProcessStep.position)).all()

    def report(day: date, percent: int, note: str):
        clock.on(day, minute)
        return tasks.record_progress(assignee, task.id, percent, note, _actual(task, percent), day)

    def tick(upto: date, stamp_by: date | None = None) -> list[str]:
        done = []
        for step in steps:
            if step.due_on is not None and step.due_on <= upto:
                clock.on(min(step.due_on, stamp_by or step.due_on), minute)
                tasks.set_step_done(assignee, task.id, step.id, True).done_at = clock.now
                done.append(step.title)
        return done

    # When it was (or will be) handed in, for the outcomes that end in a submission.
    submit_on = None
    if item.when in ("done", "early", "fixed"):
        submit_on = max(start, min(due - timedelta(days=1 + item.k % 4), today - timedelta(days=1 + item.k % 3)))
    elif item.when == "late":
        submit_on = max(start, min(due + timedelta(days=4 + 3 * (item.k % 4)), today))
    elif item.when in ("submitted", "returned"):
        submit_on = max(start, today - timedelta(days=1 if item.when == "submitted" else 6))
    if item.when == "fixed" and due >= today:
        submit_on = None  # a fixed-date task not yet due is still being worked on
    if submit_on is not None and submit_on > today:
        submit_on = None

    if submit_on is not None:
        tick(due, stamp_by=submit_on)  # every step is done by the time the work is handed in
        update = report(submit_on, 100, f"Đã hoàn thành: {_lower_first(item.output)}.")
        # The product goes with the last report: a task is submitted with evidence (DESIGN.md 4).
        evidence.store(assignee, task, [evidence.Upload(_evidence_name(item.output), _evidence_pdf(item.output))],
                       update.id, ctx.settings.files)
        clock.on(submit_on, minute + 30)
        said = "" if item.when == "returned" else item.note  # a returned item's note is the reviewer's
        tasks.submit_task(assignee, task.id, said or f"Hoàn thành, gửi kèm {_lower_first(item.output)}.",
                          submit_on)
        if item.when == "submitted":
            return
        review_on = min(submit_on + timedelta(days=1 + item.k % 3), today)
        clock.on(review_on, minute + 60)
        if item.when == "returned":
            tasks.return_task(reviewer, task.id, item.note or "Đề nghị bổ sung minh chứng.")
            return
        late = submit_on > due
        tasks.confirm_task(reviewer, task.id, "Xác nhận hoàn thành; đề nghị rút kinh nghiệm về tiến độ."
                           if late else "Đồng ý xác nhận hoàn thành.")
        return

    # Still open: progress in proportion to the time used, slower when behind schedule.
    span = max((due - start).days, 1)
    used = min((today - start).days / span, 1.0)
    pace = 0.7 if today > due else 0.9
    percent = max(5, min(95, round(used * pace * 20) * 5))
    last = max(start, today - timedelta(days=2 + item.k % 3))
    done = tick(last)
    pending = [s.title for s in steps if s.title not in done]
    if item.note:
        note = item.note
    elif done and pending:
        note = f"Đã xong: {_lower_first(done[-1])}; đang thực hiện: {_lower_first(pending[0])}."
    elif pending:
        note = f"Đang thực hiện: {_lower_first(pending[0])}."
    else:
        note = "Đang hoàn thiện sản phẩm để báo cáo lãnh đạo."
    report(last, percent, note)


def _evidence_name(output: str) -> str:
    return output.replace("/", "-").strip().rstrip(".")[:120] + ".pdf"


def _evidence_pdf(output: str) -> bytes:
    """A small, valid one-page PDF standing for the product (its text without diacritics:
    the base fonts of PDF have no Vietnamese)."""
    plain = unicodedata.normalize("NFKD", output.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if ord(c) < 128 and c not in "()\\")[:90]
    text = f"BT /F1 12 Tf 40 140 Td (Sau Ro - du lieu mau) Tj 0 -20 Td ({plain}) Tj ET".encode()
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               (b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 200]/Resources<</Font<</F1 5 0 R>>>>"
                b"/Contents 4 0 R>>"),
               b"<</Length %d>>stream\n%s\nendstream" % (len(text), text),
               b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _actual(task: Task, percent: int) -> Decimal | None:
    """The indicator's reported value: a rate hovers near its target, a count grows with the work."""
    target = task.indicator_target
    if target is None:
        return None
    if task.indicator_unit == "%":
        return (target * Decimal("0.95") if percent < 100 else target).quantize(Decimal("0.1"))
    return (target * percent / 100).quantize(Decimal(1))


def _head_of(plan: Plan) -> str:
    return next(p[0] for p in PEOPLE if p[2] == plan.unit.code and p[3] == Role.HEAD)


# ---------------------------------------------------------------- what to print

TIMELINESS_VI = {
    Timeliness.WITHIN: "trong hạn", Timeliness.DUE_SOON: "sắp đến hạn", Timeliness.OVERDUE: "quá hạn",
    Timeliness.DONE_ON_TIME: "hoàn thành đúng hạn", Timeliness.DONE_LATE: "hoàn thành quá hạn",
    Timeliness.EXCLUDED: "tạm dừng, hủy",
}


def _summary(ctx: _Ctx, snv: Plan, skhcn: Plan, ward: Plan) -> str:
    """Counts of what was created, and the accounts to log in with."""
    n_units = db.session.scalar(select(func.count(Unit.id)))
    n_local = db.session.scalar(select(func.count(Unit.id)).where(
        Unit.kind.in_(("commune", "ward", "special_zone"))))
    lines = [f"Đã tạo dữ liệu mẫu tỉnh Đắk Lắk (ngày {ctx.today:%d/%m/%Y}):",
             (f"  {n_units} đơn vị (trong đó {n_local} xã, phường), {len(ctx.users)} người dùng, "
              f"{len(ctx.fields)} lĩnh vực")]
    for plan, state in ((snv, "dự thảo"), (skhcn, "đã ban hành"), (ward, "dự thảo")):
        rows = db.session.execute(select(Task.is_clear, Task.status, Task.due_on, Task.completed_on,
                                         Task.submitted_on)
                                  .where(Task.plan_id == plan.id)).all()
        unclear = sum(1 for r in rows if not r.is_clear)
        lines.append(f"  {plan.doc_number} ({state}): {len(rows)} nhiệm vụ, {unclear} chưa đạt sáu rõ")
        if plan is snv:
            counts = Counter(timeliness(r.status, r.due_on, r.completed_on, ctx.today, ctx.soon_days,
                                        r.submitted_on) for r in rows)
            lines.append("    " + ", ".join(f"{counts[t]} {TIMELINESS_VI[t]}" for t in TIMELINESS_VI
                                            if counts[t]))
    return "\n".join(lines + ["", *_accounts()])


def _accounts() -> list[str]:
    """The demo accounts, one line per unit, roles grouped."""
    lines = [f"Tài khoản mẫu (mật khẩu chung: {DEMO_PASSWORD}):"]
    unit_names = dict(DEPARTMENTS) | {ROOT: "UBND tỉnh Đắk Lắk", BMT: "UBND phường Buôn Ma Thuột",
                                      TUY_HOA: "UBND phường Tuy Hòa", EA_KAR: "UBND xã Ea Kar"}
    by_unit: dict[str, dict[str, list[str]]] = {}
    for username, _, unit_code, role, _, _ in PEOPLE:
        unit_code = unit_code.split("-")[0]  # people of a section are shown with their department
        by_unit.setdefault(unit_code, {}).setdefault(role, []).append(username)
    for unit_code, roles in by_unit.items():
        parts = []
        for role, usernames in roles.items():
            shown = usernames if len(usernames) <= 2 else [f"{usernames[0]} … {usernames[-1]}"]
            parts.append(f"{', '.join(shown)} ({ROLE_LABELS[role]})")
        lines.append(f"  {unit_names[unit_code] + ':':<28} {'; '.join(parts)}")
    return lines


def banner() -> str:
    """The start-up banner: where the app listens and, when the demo is loaded, its accounts."""
    lines = [f"Sáu Rõ đang chạy tại {URL}"]
    try:
        loaded = db.session.scalar(select(func.count(User.id)).where(
            User.username.in_([p[0] for p in PEOPLE])))
    except SQLAlchemyError:
        db.session.rollback()
        loaded = 0
    if loaded:
        lines += _accounts()
        lines.append("Thử: đăng nhập gd.snv → Kế hoạch → Ban hành kế hoạch (bị từ chối khi còn nhiệm vụ chưa rõ).")
    return "\n".join(lines)
