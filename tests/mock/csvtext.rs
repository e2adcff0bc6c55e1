//! The two halves of Python's `csv` module (excel dialect, CRLF rows) that the
//! stand-in needs: writing reports as Microsoft serves them, and reading one
//! back to drop or reorder its columns for the column faults.

/// The UTF-8 byte order mark that Microsoft puts before every report CSV.
pub const BOM: &[u8] = b"\xef\xbb\xbf";

/// Appends one row as `csv.writer(lineterminator="\r\n")` writes it:
/// a field is quoted only when it holds a comma, a quote or a line break.
pub fn write_row<S: AsRef<str>>(out: &mut Vec<u8>, row: &[S]) {
    if let [only] = row {
        if only.as_ref().is_empty() {
            out.extend_from_slice(b"\"\"\r\n");
            return;
        }
    }
    for (i, field) in row.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let field = field.as_ref();
        if field.contains([',', '"', '\r', '\n']) {
            out.push(b'"');
            out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Reads a whole CSV document as `csv.reader` does (doubled quotes inside
/// quoted fields, CR, LF or CRLF ending a row, a blank line being an empty row).
pub fn read_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut row_started = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                row_started = true;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                row_started = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if row_started || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                }
                rows.push(std::mem::take(&mut row));
                row_started = false;
            }
            _ => {
                field.push(c);
                row_started = true;
            }
        }
    }
    if row_started || !field.is_empty() || quoted {
        row.push(field);
        rows.push(row);
    }
    rows
}
