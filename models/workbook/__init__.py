"""The instance as a workbook: the spreadsheets a hub's coordinator already keeps.

`read_workbook(path)` reads a filled workbook (.xlsx/.xlsm) or a folder of CSV files named
after its sheets (`Schools.csv`, …) as the instance's raw data, remembering the cell of
every value; `models.load.load_instance` validates it like any instance file and names each
problem's sheet, row and column (`work_groups[3].schools[0].school` → `WorkGroups row 7,
column school`). `template_workbook()` is a blank workbook whose header cells explain each
column; `instance_to_workbook(instance)` is a filled one, read back to an equal instance.

Layout. Row 1 of every sheet is its header, so the first item is on row 2; blank rows are
skipped and a `notes` column is free for the coordinator.
- Hub: one row per setting (setting | value | about): the instance name, hub name, TfM Lead,
  calendar settings, hub-wide closures, rates and weights. A blank value is the default.
- Schools, Specialists, Teachers: one row each.
- WorkGroups: one row per Work Group and school. The Work Group's own columns (work_group to
  params) are filled on its first row; later rows may leave them blank or repeat them, and a
  blank work_group continues the group above.
- Terms: term dates by `calendar` name: 'hub' (or blank) is the hub default; any other name
  (an LA or trust pattern) serves the schools whose `calendar` column names it.
- Blackouts (a school's), Commitments (a specialist's or teacher's), Pinned: one row each.
Instance-defined `programmes` have no sheet: the loader rejects them anyway.

Modules: `columns` (what each sheet holds), `cells` (one cell read and written), `sheets`
(files into tables), `read` (tables into raw data), `write` (workbooks out), `xlsx` (text
that stays text, same bytes every time; costs.xlsx uses it too).
"""

from .read import read_workbook
from .sheets import WORKBOOK_SUFFIXES
from .write import instance_to_workbook, template_workbook
from .xlsx import write_header, write_text, write_value, xlsx_bytes

__all__ = [
    "WORKBOOK_SUFFIXES",
    "instance_to_workbook",
    "read_workbook",
    "template_workbook",
    "write_header",
    "write_text",
    "write_value",
    "xlsx_bytes",
]
