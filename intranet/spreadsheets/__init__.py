"""Safe spreadsheets: every .xlsx the system reads or writes goes through this package."""
from .reading import Limits, Sheet, SpreadsheetError, check_xlsx, open_first_sheet
from .writing import SheetWriter, WorkbookWriter, clean_text

__all__ = ["Limits", "Sheet", "SheetWriter", "SpreadsheetError", "WorkbookWriter", "check_xlsx", "clean_text",
           "open_first_sheet"]
