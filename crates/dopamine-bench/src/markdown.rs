//! A small Markdown table builder for reports, and the significant-digit number formatter they share with the figures ([`fmt_sig`], from `dopamine-plot`).

pub use dopamine_plot::fmt_sig;

/// How a column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// `:---`
    Left,
    /// `---:`
    Right,
    /// `:---:`
    Center,
}

/// A Markdown table built row by row.
///
/// Columns without an explicit alignment are right-aligned when every
/// non-empty cell is numeric (see [`looks_numeric`]) and left-aligned otherwise.
/// Cells are padded so the Markdown source lines up too; `|` in a cell is
/// escaped and newlines become spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    headers: Vec<String>,
    aligns: Vec<Option<Align>>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers and no rows.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Table {
        let headers: Vec<String> = headers.into_iter().map(Into::into).collect();
        let aligns = vec![None; headers.len()];
        Table {
            headers,
            aligns,
            rows: Vec::new(),
        }
    }

    /// Fixes the alignment of column `column` instead of detecting it.
    ///
    /// # Panics
    /// If `column` is not a column of the table.
    pub fn align(&mut self, column: usize, align: Align) -> &mut Table {
        assert!(column < self.headers.len(), "no column {column}");
        self.aligns[column] = Some(align);
        self
    }

    /// Appends a row. A row shorter than the header is padded with empty cells.
    ///
    /// # Panics
    /// If the row has more cells than the table has columns.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Table {
        let mut cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        assert!(
            cells.len() <= self.headers.len(),
            "row has {} cells but the table has {} columns",
            cells.len(),
            self.headers.len()
        );
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
        self
    }

    /// Number of rows added so far (the header not counted).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row has been added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn column_align(&self, column: usize) -> Align {
        self.aligns[column].unwrap_or_else(|| {
            let mut cells = self
                .rows
                .iter()
                .map(|r| r[column].trim())
                .filter(|c| !c.is_empty())
                .peekable();
            if cells.peek().is_some() && cells.all(looks_numeric) {
                Align::Right
            } else {
                Align::Left
            }
        })
    }

    /// The table as GitHub-flavoured Markdown, one line per row, ending with a newline.
    pub fn render(&self) -> String {
        let escape = |cell: &str| cell.replace('|', "\\|").replace(['\n', '\r'], " ");
        let header: Vec<String> = self.headers.iter().map(|h| escape(h)).collect();
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| escape(c)).collect())
            .collect();
        let columns = header.len();
        let aligns: Vec<Align> = (0..columns).map(|c| self.column_align(c)).collect();
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([header[c].chars().count(), 3])
                    .max()
                    .unwrap_or(3)
            })
            .collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .zip(&aligns)
                .map(|((cell, &width), align)| match align {
                    Align::Right => format!("{cell:>width$}"),
                    Align::Center => format!("{cell:^width$}"),
                    Align::Left => format!("{cell:<width$}"),
                })
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let rule: Vec<String> = widths
            .iter()
            .zip(&aligns)
            .map(|(&width, align)| match align {
                Align::Left => format!(":{}", "-".repeat(width - 1)),
                Align::Right => format!("{}:", "-".repeat(width - 1)),
                Align::Center => format!(":{}:", "-".repeat(width - 2)),
            })
            .collect();
        let mut out = line(&header);
        out.push_str(&format!("| {} |\n", rule.join(" | ")));
        for row in &rows {
            out.push_str(&line(row));
        }
        out
    }
}

/// Whether a cell reads as a number: a float literal, optionally followed by
/// `%`, `x` or `×`, or one of the [`fmt_sig`] words `n/a`, `inf`, `-inf`.
pub fn looks_numeric(cell: &str) -> bool {
    let cell = cell.trim();
    if matches!(cell, "n/a" | "inf" | "-inf") {
        return true;
    }
    let number = cell
        .strip_suffix('%')
        .or_else(|| cell.strip_suffix('x'))
        .or_else(|| cell.strip_suffix('×'))
        .unwrap_or(cell)
        .trim();
    !number.is_empty() && number.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_detection() {
        assert!(looks_numeric("1.5"));
        assert!(looks_numeric("-2e-3"));
        assert!(looks_numeric("97%"));
        assert!(looks_numeric("n/a"));
        assert!(!looks_numeric("SPSA"));
        assert!(!looks_numeric(""));
    }

    #[test]
    fn renders_aligned_table() {
        let mut table = Table::new(["optimizer", "loss", "note"]);
        table.row(["Dopamine", "0.0012", "a|b"]);
        table.row(["SPSA", "0.5"]);
        table.align(2, Align::Center);
        let expected = "\
| optimizer |   loss | note |
| :-------- | -----: | :--: |
| Dopamine  | 0.0012 | a\\|b |
| SPSA      |    0.5 |      |
";
        assert_eq!(table.render(), expected);
        assert_eq!(table.len(), 2);
    }

    #[test]
    #[should_panic(expected = "row has 3 cells")]
    fn too_long_row_panics() {
        Table::new(["a", "b"]).row(["1", "2", "3"]);
    }
}
