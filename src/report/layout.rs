//! A small layout layer over printpdf's operations: A4 portrait with margins, a cursor that flows down the page,
//! wrapped text, headings kept with what follows, tables whose header repeats on the next page, and footers
//! written once the page count is known.
//!
//! Positions are millimetres from the top-left corner; printpdf's origin is bottom-left, so [`Layout`] converts.
//! Each line of text is its own text section (printpdf draws nothing outside one, and `Td` is relative inside).

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfFontHandle, PdfPage, Point, Pt, Rect, Rgb,
    TextItem,
};

/// A4 width, mm.
pub const PAGE_W: f32 = 210.0;
/// A4 height, mm.
pub const PAGE_H: f32 = 297.0;
/// Left and right margin, mm.
pub const MARGIN: f32 = 20.0;
/// Top margin, mm.
const TOP: f32 = 20.0;
/// Bottom of the text area, mm from the top (the footer sits below it).
const BOTTOM: f32 = PAGE_H - 22.0;
/// Width of the text area, mm.
pub const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Millimetres per point.
const MM_PER_PT: f32 = 25.4 / 72.0;

/// An RGB colour, components 0–1.
pub type Rgb3 = (f32, f32, f32);
/// Body text colour.
pub const INK: Rgb3 = (0.1, 0.1, 0.12);
/// Secondary text colour.
pub const GREY: Rgb3 = (0.38, 0.38, 0.42);
/// The colour of a page stamp (dark red, readable in greyscale too).
const STAMP: Rgb3 = (0.62, 0.05, 0.05);

fn color((r, g, b): Rgb3) -> Color {
    Color::Rgb(Rgb::new(r, g, b, None))
}

/// One embedded font: its resource id and the metrics to measure text.
pub struct Font {
    /// Resource name in the PDF (fixed, so that output is reproducible).
    pub id: FontId,
    parsed: ParsedFont,
}

impl Font {
    /// Parses TTF bytes; `name` becomes the PDF's `/BaseFont` and `id` the resource name.
    #[must_use]
    pub fn new(bytes: &[u8], name: &str, id: &str) -> Option<Font> {
        let mut warnings = Vec::new();
        let mut parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)?;
        parsed.font_name = Some(name.to_string());
        Some(Font { id: FontId(id.to_string()), parsed })
    }

    /// The parsed font, for the document's resources.
    #[must_use]
    pub fn parsed(&self) -> &ParsedFont {
        &self.parsed
    }

    /// Whether the font has a glyph for `c`.
    #[must_use]
    pub fn has(&self, c: char) -> bool {
        self.parsed.lookup_glyph_index(c as u32).is_some_and(|g| g != 0)
    }

    /// Width of `text` at `size` points, in mm.
    #[must_use]
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                let glyph = self.parsed.lookup_glyph_index(c as u32).unwrap_or(0);
                u32::from(self.parsed.get_glyph_width(glyph).unwrap_or(0))
            })
            .sum();
        units as f32 / f32::from(self.parsed.units_per_em.max(1)) * size * MM_PER_PT
    }
}

/// Text style.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Size in points.
    pub size: f32,
    /// Bold face.
    pub bold: bool,
    pub color: Rgb3,
}

impl Style {
    /// Regular body text.
    #[must_use]
    pub fn body(size: f32) -> Style {
        Style { size, bold: false, color: INK }
    }

    /// Bold text.
    #[must_use]
    pub fn bold(size: f32) -> Style {
        Style { size, bold: true, color: INK }
    }

    /// The same style in another colour.
    #[must_use]
    pub fn colored(self, color: Rgb3) -> Style {
        Style { color, ..self }
    }

    /// Line height in mm.
    #[must_use]
    pub fn line_height(self) -> f32 {
        self.size * 1.4 * MM_PER_PT
    }
}

/// Horizontal alignment in a table cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text columns.
    Left,
    /// Figures, so that digits line up.
    Right,
}

/// A table column.
pub struct Column {
    /// Header text.
    pub title: String,
    /// Width, mm.
    pub width: f32,
    pub align: Align,
}

/// A table cell: text, optionally on a coloured chip (for statuses).
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    /// Chip fill and text colour.
    pub chip: Option<(Rgb3, Rgb3)>,
}

impl Cell {
    /// Plain text.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), chip: None }
    }
}

/// The pages being laid out.
pub struct Layout {
    regular: Font,
    bold: Font,
    pages: Vec<Vec<Op>>,
    /// Cursor, mm from the top of the current page.
    pub y: f32,
}

impl Layout {
    /// An empty document with one page.
    #[must_use]
    pub fn new(regular: Font, bold: Font) -> Layout {
        Layout { regular, bold, pages: vec![Vec::new()], y: TOP }
    }

    fn font(&self, bold: bool) -> &Font {
        if bold {
            &self.bold
        } else {
            &self.regular
        }
    }

    /// Width of `text` in `style`, mm.
    #[must_use]
    pub fn width(&self, text: &str, style: Style) -> f32 {
        self.font(style.bold).width(text, style.size)
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Makes sure `height` mm fit below the cursor, else starts a new page.
    pub fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    /// Moves the cursor down.
    pub fn space(&mut self, mm: f32) {
        self.y += mm;
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a layout always has a page")
    }

    /// Replaces characters the font lacks (control characters included) so nothing renders as a blank box.
    fn printable(&self, text: &str, bold: bool) -> String {
        let font = self.font(bold);
        crate::text::nfc(text).chars().map(|c| if c == ' ' || font.has(c) { c } else { '?' }).collect()
    }

    /// One line of text with its baseline `size`-dependent below `top` (mm from the page top).
    pub fn text_at(&mut self, x: f32, top: f32, text: &str, style: Style) {
        let text = self.printable(text, style.bold);
        let baseline = top + style.size * 1.05 * MM_PER_PT;
        let font = self.font(style.bold).id.clone();
        self.ops().extend([
            Op::StartTextSection,
            Op::SetFillColor { col: color(style.color) },
            Op::SetFont { font: PdfFontHandle::External(font), size: Pt(style.size) },
            Op::SetTextCursor { pos: Point::new(Mm(x), Mm(PAGE_H - baseline)) },
            Op::ShowText { items: vec![TextItem::Text(text)] },
            Op::EndTextSection,
        ]);
    }

    /// Splits `text` into lines no wider than `width` mm; line breaks in the text start new lines, and a word wider
    /// than the line (a raw CSV row, say) is broken between characters.
    #[must_use]
    pub fn wrap(&self, text: &str, style: Style, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
                if self.width(&candidate, style) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if self.width(&line, style) > width && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::replace(&mut line, c.to_string()));
                    }
                }
            }
            lines.push(line);
        }
        lines
    }

    /// A wrapped paragraph at the cursor, breaking pages between lines.
    pub fn paragraph(&mut self, text: &str, style: Style) {
        self.paragraph_at(MARGIN, TEXT_W, text, style);
    }

    /// A wrapped paragraph indented to `x` with `width` mm.
    pub fn paragraph_at(&mut self, x: f32, width: f32, text: &str, style: Style) {
        for line in self.wrap(text, style, width) {
            self.ensure(style.line_height());
            let y = self.y;
            self.text_at(x, y, &line, style);
            self.y += style.line_height();
        }
    }

    /// A heading, wrapped to the text width (a commitment's heading names every party, which can be long), moved to
    /// the next page unless `keep` mm of what follows fit under it.
    pub fn heading(&mut self, text: &str, size: f32, keep: f32) {
        let style = Style::bold(size);
        let lines = self.wrap(text, style, TEXT_W);
        let more = style.line_height() * lines.len().saturating_sub(1) as f32;
        self.ensure(style.line_height() * 1.6 + more + keep);
        self.y += style.line_height() * 0.3;
        for (n, line) in lines.iter().enumerate() {
            if n > 0 {
                self.y += style.line_height();
            }
            let y = self.y;
            self.text_at(MARGIN, y, line, style);
        }
        self.y += style.line_height() * 1.3;
    }

    /// A filled rectangle; `top` and `left` in mm from the page's top-left.
    pub fn rect(&mut self, left: f32, top: f32, width: f32, height: f32, fill: Rgb3) {
        let rect = Rect {
            mode: Some(PaintMode::Fill),
            ..Rect::from_xywh(Mm(left).into(), Mm(PAGE_H - top - height).into(), Mm(width).into(), Mm(height).into())
        };
        self.ops().extend([Op::SetFillColor { col: color(fill) }, Op::DrawRectangle { rectangle: rect }]);
    }

    /// A straight line.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), thickness_pt: f32, stroke: Rgb3) {
        let point = |(x, y): (f32, f32)| LinePoint { p: Point::new(Mm(x), Mm(PAGE_H - y)), bezier: false };
        self.ops().extend([
            Op::SetOutlineColor { col: color(stroke) },
            Op::SetOutlineThickness { pt: Pt(thickness_pt) },
            Op::DrawLine { line: Line { points: vec![point(from), point(to)], is_closed: false } },
        ]);
    }

    /// A table at the cursor; rows that do not fit go to the next page under a repeated header.
    pub fn table(&mut self, columns: &[Column], rows: &[Vec<Cell>], size: f32) {
        let body = Style::body(size);
        let head = Style::bold(size);
        let pad = 1.4;
        let header_height = self.header_height(columns, head, pad);
        let first_height = rows.first().map_or(0.0, |r| self.row_height(columns, r, body, pad));
        self.ensure(header_height + first_height);
        self.table_header(columns, head, pad);
        for (i, row) in rows.iter().enumerate() {
            let height = self.row_height(columns, row, body, pad);
            if self.y + height > BOTTOM {
                self.new_page();
                self.table_header(columns, head, pad);
            }
            if i % 2 == 1 {
                self.rect(MARGIN, self.y, columns.iter().map(|c| c.width).sum(), height, (0.95, 0.95, 0.96));
            }
            let mut x = MARGIN;
            let top = self.y;
            for (column, cell) in columns.iter().zip(row) {
                let inner = column.width - 2.0 * pad;
                let lines = self.wrap(&cell.text, body, inner);
                if let Some((fill, ink)) = cell.chip {
                    let w = lines.iter().map(|l| self.width(l, body)).fold(0.0, f32::max) + 2.0 * pad;
                    self.rect(x + pad * 0.5, top + pad * 0.5, w, body.line_height() + pad, fill);
                    self.text_at(x + pad * 1.5, top + pad, &lines.join(" "), Style::bold(size).colored(ink));
                } else {
                    for (n, line) in lines.iter().enumerate() {
                        let lx = match column.align {
                            Align::Left => x + pad,
                            Align::Right => x + column.width - pad - self.width(line, body),
                        };
                        self.text_at(lx, top + pad + n as f32 * body.line_height(), line, body);
                    }
                }
                x += column.width;
            }
            self.y += height;
        }
        self.y += 3.0;
    }

    fn row_height(&self, columns: &[Column], row: &[Cell], style: Style, pad: f32) -> f32 {
        let lines = columns
            .iter()
            .zip(row)
            .map(
                |(c, cell)| {
                    if cell.chip.is_some() {
                        1
                    } else {
                        self.wrap(&cell.text, style, c.width - 2.0 * pad).len()
                    }
                },
            )
            .max()
            .unwrap_or(1);
        lines as f32 * style.line_height() + 2.0 * pad
    }

    /// A header title wraps like a cell, so a narrow column of figures may carry a long title.
    fn header_height(&self, columns: &[Column], style: Style, pad: f32) -> f32 {
        let lines = columns.iter().map(|c| self.wrap(&c.title, style, c.width - 2.0 * pad).len()).max().unwrap_or(1);
        lines as f32 * style.line_height() + 2.0 * pad
    }

    fn table_header(&mut self, columns: &[Column], style: Style, pad: f32) {
        let width: f32 = columns.iter().map(|c| c.width).sum();
        let height = self.header_height(columns, style, pad);
        self.rect(MARGIN, self.y, width, height, (0.16, 0.27, 0.45));
        let mut x = MARGIN;
        let top = self.y;
        for c in columns {
            for (n, line) in self.wrap(&c.title, style, c.width - 2.0 * pad).iter().enumerate() {
                let lx = match c.align {
                    Align::Left => x + pad,
                    Align::Right => x + c.width - pad - self.width(line, style),
                };
                self.text_at(lx, top + pad + n as f32 * style.line_height(), line, style.colored((1.0, 1.0, 1.0)));
            }
            x += c.width;
        }
        self.y += height;
    }

    /// The finished pages, each with the footer `footer(page, pages)` (1-based) at the bottom and, when given, a
    /// stamp in the top margin (a report that is not final says so on every page, not only on the first).
    pub fn finish(mut self, stamp: Option<&str>, footer: impl Fn(usize, usize) -> String) -> Vec<PdfPage> {
        let pages = self.pages.len();
        let style = Style::body(7.5).colored(GREY);
        let stamp_style = Style::bold(10.0).colored(STAMP);
        for page in 0..pages {
            let text = footer(page + 1, pages);
            let text = self.printable(&text, false);
            // The footer goes on its own page; `text_at` writes to the last page, so swap it in.
            let ops = std::mem::take(&mut self.pages[page]);
            let last = std::mem::replace(self.pages.last_mut().expect("pages"), ops);
            if let Some(stamp) = stamp {
                let stamp = self.printable(stamp, true);
                self.text_at(MARGIN, TOP - 7.0, &stamp, stamp_style);
            }
            self.line((MARGIN, BOTTOM + 6.0), (PAGE_W - MARGIN, BOTTOM + 6.0), 0.4, (0.75, 0.75, 0.78));
            for (n, line) in self.wrap(&text, style, TEXT_W).iter().enumerate() {
                self.text_at(MARGIN, BOTTOM + 8.0 + n as f32 * style.line_height(), line, style);
            }
            let ops = std::mem::replace(self.pages.last_mut().expect("pages"), last);
            self.pages[page] = ops;
        }
        self.pages.into_iter().map(|ops| PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops)).collect()
    }
}
