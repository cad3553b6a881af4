import io
from datetime import date
from openpyxl import load_workbook
from app.services import assessment, assessment_export as ex
from app.domain import scoring

def test_probe(world):
    r = assessment.live(scoring.parse_period("2026"), date(2026,6,15), scoring.ScoringSettings())
    b = ex.xlsx_bytes(r, "UBND TỈNH ĐẮK LẮK\nSỞ NỘI VỤ", "Đắk Lắk", date(2026,6,15))
    open("/tmp/probe.xlsx","wb").write(b)
    wb = load_workbook(io.BytesIO(b))
    for ws in wb:
        print(ws.title)
        for row in ws.iter_rows(values_only=True):
            print(row)
    print(ex.csv_bytes(r, "tasks").decode("utf-8-sig"))
