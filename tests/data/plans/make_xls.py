"""Writes the .xls plan files of this folder (Excel 97-2003). xlwt is not maintained, so it is
no dependency of the project: the files are committed, and this script says how they were
made (`pip install xlwt==1.3.0` in a throwaway environment, then run it from this folder).

ke-hoach-cu.xls: an old plan as a province issues it: a title block, a header over two rows
(a group "Đơn vị thực hiện" merged over "Chủ trì" / "Phối hợp", STT merged down over both),
the row of column numbers, a Roman section, a lead unit merged down over two tasks, deadlines
as a real date, in words and "Thường xuyên", and a note."""

from datetime import date

import xlwt

wb = xlwt.Workbook(encoding="utf-8")
ws = wb.add_sheet("Phu luc")
dates = xlwt.easyxf(num_format_str="dd/mm/yyyy")
ws.write_merge(0, 0, 0, 6, "KẾ HOẠCH CÔNG TÁC NĂM 2026")
ws.write_merge(1, 1, 0, 6, "(Kèm theo Kế hoạch số 12/KH-SNV ngày 10/01/2026)")
ws.write_merge(3, 4, 0, 0, "TT")
ws.write_merge(3, 4, 1, 1, "Nội dung công việc")
ws.write_merge(3, 3, 2, 3, "Đơn vị thực hiện")
ws.write(4, 2, "Chủ trì")
ws.write(4, 3, "Phối hợp")
ws.write_merge(3, 4, 4, 4, "Thời gian\nhoàn thành")
ws.write_merge(3, 4, 5, 5, "Sản phẩm")
ws.write_merge(3, 4, 6, 6, "Ghi chú")
for i in range(7):
    ws.write(5, i, f"({i + 1})")
ws.write(6, 0, "I")
ws.write(6, 1, "CẢI CÁCH THỂ CHẾ")
ws.write(7, 0, 1)
ws.write(7, 1, "Rà soát văn bản quy phạm pháp luật")
ws.write_merge(7, 8, 2, 2, "Sở Nội vụ")
ws.write(7, 3, "SKHCN")
ws.write(7, 4, date(2026, 9, 30), dates)
ws.write(7, 5, "Báo cáo rà soát")
ws.write(8, 0, 2)
ws.write(8, 1, "Kiểm tra công tác cải cách hành chính")
ws.write(8, 4, "Quý II/2026")
ws.write(8, 6, "Theo kế hoạch kiểm tra")
ws.write(9, 0, 3)
ws.write(9, 1, "Cập nhật thủ tục hành chính trên Cổng dịch vụ công")
ws.write(9, 4, "Thường xuyên")
wb.save("ke-hoach-cu.xls")
