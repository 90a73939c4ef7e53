"""The GB/T 9704-2012 公文 page for python-docx: page, grid, styles with East Asian fonts, footers.

python-docx's ``font.name`` sets only the Latin fonts; a Chinese document also needs
``w:rFonts w:eastAsia`` on every style and run, otherwise Word and LibreOffice fall back to the
theme's East Asian font. It has no field API either, so the page number is written as field XML.
"""
from __future__ import annotations

import math

from docx.enum.style import WD_STYLE_TYPE
from lxml import etree
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

# The page (GB/T 9704-2012 5.2): A4, 版心 156 mm × 225 mm.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
FOOTER_DISTANCE_MM = 23     # the page number's 一字线 7 mm below the 版心
LINES, CHARS = 22, 28
LINE_PITCH = 579            # twips: 22 × 579 fit 225 mm; 580 gives 21 lines
BODY_PT, TITLE_PT, PAGE_NUMBER_PT, TABLE_PT, SMALL_TABLE_PT = 16, 22, 14, 12, 10.5   # 三号 二号 4号 小四 五号

LATIN = "Times New Roman"
# The licensed 方正/中易 fonts are named, not shipped; each has a fallback every Chinese Windows has,
# given as the eastAsia font's altName in the font table.
TITLE_FONT, BODY_FONT, HEITI, KAITI, SONGTI = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
FALLBACKS = {TITLE_FONT: SONGTI, BODY_FONT: "仿宋", KAITI: "楷体", HEITI: "SimHei", SONGTI: "SimSun"}
GREY = "808080"


def body_width_twips() -> int:
    return round((PAGE_WIDTH_MM - MARGINS_MM["left"] - MARGINS_MM["right"]) / 25.4 * 1440)


def char_space() -> int:
    """docGrid charSpace: (grid character pitch − the body font size) in 1/4096 pt, so 28 fit a line."""
    pitch_pt = body_width_twips() / 20 / CHARS
    return round((pitch_pt - BODY_PT) * 4096)


def condensed_twentieths(size_pt: float = BODY_PT) -> int:
    """Character spacing (1/20 pt, negative = condensed) so ``CHARS`` characters fit the 版心 width.

    This, not the character grid, is what sets 28 a line: LibreOffice (7.4) reads a negative
    docGrid charSpace wrongly and lays out about 14 characters a line."""
    pitch_pt = body_width_twips() / 20 / CHARS
    return math.floor((pitch_pt - size_pt) * 20)


def set_fonts(rpr, east_asia: str, latin: str | None = LATIN) -> None:
    """Name the fonts on an rPr explicitly (no theme fonts), East Asian included."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    latin = latin or east_asia
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


RPR_ORDER = ("rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
             "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
             "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath").split()
PPR_ORDER = ("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
             "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
             "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
             "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange").split()


def schema_order(element, order: list[str]) -> None:
    """Put the children in the order the schema requires (Word refuses a file otherwise)."""
    rank = {qn(f"w:{name}"): i for i, name in enumerate(order)}
    children = sorted(element, key=lambda el: rank.get(el.tag, len(rank)))
    for child in children:
        element.append(child)


def _child(parent, tag: str):
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        parent.append(el)
    return el


def _set_rpr(rpr, east_asia: str, size_pt: float, latin: str | None = LATIN, color: str | None = None,
             condense: int = 0) -> None:
    for tag in ("w:b", "w:bCs", "w:i", "w:iCs", "w:color", "w:sz", "w:szCs", "w:kern", "w:spacing"):
        for el in rpr.findall(qn(tag)):
            rpr.remove(el)
    set_fonts(rpr, east_asia, latin)
    # never bold: 小标宋, 黑体 and 楷体 are drawn heavy enough; Word's fake bold smears them
    for tag in ("w:b", "w:bCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "0")
        rpr.append(el)
    if color:
        el = OxmlElement("w:color")
        el.set(qn("w:val"), color)
        rpr.append(el)
    if condense:
        el = OxmlElement("w:spacing")
        el.set(qn("w:val"), str(condense))
        rpr.append(el)
    for tag in ("w:sz", "w:szCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), str(int(size_pt * 2)))
        rpr.append(el)
    schema_order(rpr, RPR_ORDER)


def _set_ppr(ppr, *, exact: bool = True, first_line_chars: float = 0, keep_next: bool = False,
             align: str | None = None, outline: int | None = None, snap: bool = True) -> None:
    for tag in ("w:keepNext", "w:keepLines", "w:spacing", "w:ind", "w:jc", "w:outlineLvl", "w:contextualSpacing",
                "w:snapToGrid", "w:widowControl"):
        for el in ppr.findall(qn(tag)):
            ppr.remove(el)
    if keep_next:
        ppr.append(OxmlElement("w:keepNext"))
    # no widow/orphan control: it moves lines to the next page, and a 公文 page has 22 lines
    widow = OxmlElement("w:widowControl")
    widow.set(qn("w:val"), "0")
    ppr.append(widow)
    if not snap:   # a line taller than the grid (the 二号 title) would take two grid lines
        el = OxmlElement("w:snapToGrid")
        el.set(qn("w:val"), "0")
        ppr.append(el)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:before"), "0")
    spacing.set(qn("w:after"), "0")
    if exact:
        spacing.set(qn("w:line"), str(LINE_PITCH))
        spacing.set(qn("w:lineRule"), "exact")
    else:
        spacing.set(qn("w:line"), "240")
        spacing.set(qn("w:lineRule"), "auto")
    ppr.append(spacing)
    ind = OxmlElement("w:ind")
    ind.set(qn("w:firstLineChars"), str(int(first_line_chars * 100)))
    ind.set(qn("w:firstLine"), str(int(first_line_chars * BODY_PT * 20)))
    ind.set(qn("w:left"), "0")
    ind.set(qn("w:right"), "0")
    ppr.append(ind)
    if align:
        jc = OxmlElement("w:jc")
        jc.set(qn("w:val"), align)
        ppr.append(jc)
    if outline is not None:
        lvl = OxmlElement("w:outlineLvl")
        lvl.set(qn("w:val"), str(outline))
        ppr.append(lvl)
    schema_order(ppr, PPR_ORDER)


# style name -> (style id when added, east asian font, size, first-line chars, keep with next, align, exact, outline)
STYLES = {
    "Normal": (None, BODY_FONT, BODY_PT, 2, False, "both", True, None),
    "Title": (None, TITLE_FONT, TITLE_PT, 0, True, "center", True, None),
    "Heading 1": (None, HEITI, BODY_PT, 2, True, "both", True, 0),
    "Heading 2": (None, KAITI, BODY_PT, 2, True, "both", True, 1),
    "Footer": (None, SONGTI, PAGE_NUMBER_PT, 0, False, None, False, None),
    "Header": (None, SONGTI, PAGE_NUMBER_PT, 0, False, None, False, None),
    "公文表题": ("GongwenTableTitle", HEITI, BODY_PT, 0, True, "center", True, None),
    "公文表格": ("GongwenTableText", BODY_FONT, TABLE_PT, 0, False, "center", False, None),
    "公文图片": ("GongwenFigure", BODY_FONT, BODY_PT, 0, True, "center", False, None),
    "公文署名": ("GongwenSignature", BODY_FONT, BODY_PT, 0, True, "right", True, None),
}
TABLE_TEXT_STYLE = "GongwenTableText"


def setup_styles(document) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_rpr(rpr, BODY_FONT, BODY_PT)
    lang = _child(rpr, "w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    schema_order(rpr, RPR_ORDER)
    _set_ppr(defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")), first_line_chars=0)
    for name, (style_id, font, size, indent, keep, align, exact, outline) in STYLES.items():
        if style_id:
            style = styles.add_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
            style.element.find(qn("w:name")).set(qn("w:val"), name)
            style.base_style = styles["Normal"]
            style.quick_style = True
        else:
            style = styles[name]
        element = style.element
        for el in element.findall(qn("w:rPr")) + element.findall(qn("w:pPr")):
            element.remove(el)
        style.paragraph_format   # creates pPr in the right place
        ppr = element.get_or_add_pPr()
        _set_ppr(ppr, exact=exact, first_line_chars=indent, keep_next=keep, align=align, outline=outline,
                 snap=name not in ("Title", "公文表格", "公文图片"))
        rpr = element.get_or_add_rPr()
        _set_rpr(rpr, font, size, latin=SONGTI if font == SONGTI else LATIN,
                 condense=condensed_twentieths() if size == BODY_PT else 0)
    # every other style that names fonts: no theme fonts, the East Asian one named
    for element in styles.element.findall(qn("w:style")):
        fonts = element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        if fonts is not None and not fonts.get(qn("w:eastAsia")):
            set_fonts(element.find(qn("w:rPr")), HEITI if element.get(qn("w:styleId"), "").startswith("Heading")
                      else BODY_FONT)
    # the linked character styles of the headings and title carry theme fonts, colours, sizes
    for name in ("Heading 1 Char", "Heading 2 Char", "Title Char", "Footer Char", "Header Char"):
        try:
            element = styles[name].element
        except KeyError:
            continue
        for el in element.findall(qn("w:rPr")):
            element.remove(el)
        base = STYLES[name.removesuffix(" Char")]
        _set_rpr(element.get_or_add_rPr(), base[1], base[2], latin=SONGTI if base[1] == SONGTI else LATIN)


def setup_font_table(document) -> None:
    """Declare the 公文 fonts with their fallbacks (altName) and the GB2312 charset."""
    part = next(p for p in document.part.package.parts if p.partname == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    for font in root.findall(qn("w:font")):
        if font.get(qn("w:name")) in FALLBACKS:
            root.remove(font)
    for name, alt in FALLBACKS.items():
        root.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
            f'<w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'))
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def setup_page(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance = Mm(15)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "lines")   # characters: see condensed_twentieths
    grid.set(qn("w:linePitch"), str(LINE_PITCH))
    grid.set(qn("w:charSpace"), str(char_space()))
    document.settings.odd_and_even_pages_header_footer = True
    section.different_first_page_header_footer = False
    _page_number(section.footer, odd=True)
    _page_number(section.even_page_footer, odd=False)


def run_xml(text: str, font: str, size_pt: float, latin: str | None = LATIN, extra: str = "") -> str:
    latin = latin or font
    return (f'<w:r {nsdecls("w")}><w:rPr><w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:cs="{latin}" '
            f'w:eastAsia="{font}" w:hint="eastAsia"/><w:b w:val="0"/><w:bCs w:val="0"/>'
            f'<w:sz w:val="{int(size_pt * 2)}"/><w:szCs w:val="{int(size_pt * 2)}"/></w:rPr>{extra}</w:r>')


def _page_number(footer, odd: bool) -> None:
    """"— 1 —" in 4号 宋体: odd pages right, even pages left, one character in from the edge."""
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.style = "Footer"
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    indent = Pt(PAGE_NUMBER_PT)
    if odd:
        paragraph.paragraph_format.right_indent = indent
    else:
        paragraph.paragraph_format.left_indent = indent
    p = paragraph._p
    pieces = [
        ("— ", ""),
        ("", '<w:fldChar w:fldCharType="begin"/>'),
        ("", '<w:instrText xml:space="preserve"> PAGE </w:instrText>'),
        ("", '<w:fldChar w:fldCharType="separate"/>'),
        ("", '<w:t>1</w:t>'),
        ("", '<w:fldChar w:fldCharType="end"/>'),
        (" —", ""),
    ]
    for text, extra in pieces:
        if text:
            extra = f'<w:t xml:space="preserve">{text}</w:t>'
        p.append(parse_xml(run_xml("", SONGTI, PAGE_NUMBER_PT, latin=SONGTI, extra=extra)))


def paragraph_run(paragraph, text: str, font: str = BODY_FONT, size_pt: float = BODY_PT,
                  color: str | None = None, latin: str | None = LATIN):
    """A run with its fonts named on the run itself (eastAsia included)."""
    run = paragraph.add_run(text)
    _set_rpr(run._r.get_or_add_rPr(), font, size_pt, latin=latin, color=color)
    return run
