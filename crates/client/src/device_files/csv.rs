//! CSV sheets with a header row naming the columns: Microsoft Entra / Intune exports and
//! hand-made sheets, separated by `,`, `;` or tabs (Excel's `sep=;` first line is handled
//! by the caller). Read by an RFC 4180 reader of its own ([`csv_records`]) whose fields are
//! zeroized; a malformed or shifted row is refused on its own, naming its line.

use zeroize::Zeroizing;

use super::{Column, Defaults, Read, build_row, column, fill_row};

const SOURCE: &str = "csv";

/// The delimiter under which `header` is a header row naming at least one known column.
pub(super) fn header_delimiter(header: &str) -> Option<u8> {
    [b',', b';', b'\t']
        .into_iter()
        .map(|d| {
            let known = match csv_record(header, d).0 {
                Ok(fields) if fields.len() >= 2 => {
                    fields.iter().filter(|f| column(f).is_some()).count()
                }
                _ => 0,
            };
            (known, d)
        })
        .filter(|(known, _)| *known > 0)
        // Most known columns wins; on a tie the earlier delimiter (comma).
        .fold(None, |best: Option<(usize, u8)>, (known, d)| match best {
            Some((k, _)) if k >= known => best,
            _ => Some((known, d)),
        })
        .map(|(_, d)| d)
}

pub(super) fn read(
    origin: &str,
    text: &str,
    first_line: usize,
    delimiter: u8,
    defaults: &Defaults,
    found: &mut Read,
) {
    let mut records = csv_records(text, delimiter, first_line)
        .into_iter()
        .filter(|r| !r.is_blank());
    let Some(header) = records.next() else {
        return found.bad(origin, "the CSV file is empty");
    };
    let header_fields = match &header.fields {
        Ok(fields) => fields,
        Err(e) => return found.bad(origin, format!("CSV header (line {}): {e}", header.line)),
    };
    let columns: Vec<Option<Column>> = header_fields.iter().map(|f| column(f)).collect();
    if !columns.contains(&Some(Column::Key)) {
        return found.bad(
            origin,
            "the CSV header has no recovery key column (expected Key, Recovery key, Recovery \
             password, Password or BitLocker recovery key)",
        );
    }
    let mut rows = 0;
    for record in records {
        rows += 1;
        let row_origin = format!("{origin}:line {}", record.line);
        let fields = match &record.fields {
            Ok(fields) => fields,
            Err(e) => {
                found.bad(row_origin, e.clone());
                continue;
            }
        };
        if fields.len() != columns.len() {
            // A shifted row would put values under the wrong names: refuse it.
            found.bad(
                row_origin,
                format!(
                    "the row has {} fields but the header has {} (a comma inside an unquoted \
                     value?)",
                    fields.len(),
                    columns.len()
                ),
            );
            continue;
        }
        let pairs: Vec<(&str, &str)> = header_fields
            .iter()
            .zip(fields.iter())
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        found.push(row_origin, build_row(&fill_row(&pairs), SOURCE, defaults));
    }
    if rows == 0 {
        found.bad(origin, "the CSV file has a header but no rows");
    }
}

/// One CSV record: the line it starts on, and its fields or why it is malformed.
struct CsvRecord {
    line: usize,
    fields: Result<Zeroizing<Vec<String>>, String>,
}

impl CsvRecord {
    /// Empty lines and rows of empty fields (spreadsheets export trailing `,,,` lines).
    fn is_blank(&self) -> bool {
        self.fields
            .as_ref()
            .is_ok_and(|f| f.iter().all(|v| v.trim().is_empty()))
    }
}

/// Splits `text` into RFC 4180 records: fields separated by `delimiter`, records by CRLF, LF
/// or CR; a field in double quotes may hold delimiters, line breaks and doubled quotes (`""`).
/// Tolerated beyond the RFC, as spreadsheets and hand edits produce them: spaces around a
/// quoted field, and a quote inside an unquoted field (kept as is). A malformed record is
/// reported on its own; the next line starts the next record.
fn csv_records(text: &str, delimiter: u8, first_line: usize) -> Vec<CsvRecord> {
    let mut records = Vec::new();
    let mut rest = text;
    let mut line = first_line;
    while !rest.is_empty() {
        let (fields, consumed) = csv_record(rest, delimiter);
        records.push(CsvRecord { line, fields });
        line += line_breaks(&rest[..consumed]);
        rest = &rest[consumed..];
    }
    records
}

/// Reads the record at the start of `text`: its fields (or why it is malformed) and how many
/// bytes it used, line ending included. Delimiters, quotes and line ends are ASCII, so byte
/// positions found here are always character boundaries.
fn csv_record(text: &str, delimiter: u8) -> (Result<Zeroizing<Vec<String>>, String>, usize) {
    let bytes = text.as_bytes();
    let is_blank = |b: u8| (b == b' ' || b == b'\t') && b != delimiter;
    let mut fields = Zeroizing::new(Vec::new());
    let mut i = 0;
    let mut error = None;
    loop {
        let mut start = i;
        while bytes.get(start).is_some_and(|b| is_blank(*b)) {
            start += 1;
        }
        if bytes.get(start) == Some(&b'"') {
            let Some(close) = closing_quote(bytes, start + 1) else {
                return (
                    Err("a quoted field is not closed (a missing \")".into()),
                    bytes.len(),
                );
            };
            fields.push(unquote(&text[start + 1..close]));
            i = close + 1;
            while bytes.get(i).is_some_and(|b| is_blank(*b)) {
                i += 1;
            }
            match bytes.get(i) {
                Some(&b) if b == delimiter => i += 1,
                None | Some(b'\r' | b'\n') => break,
                Some(_) => {
                    error = Some(
                        "text after a closing quote (quote the whole value and double any \
                         quotes inside it)"
                            .to_owned(),
                    );
                    i += bytes[i..]
                        .iter()
                        .position(|b| matches!(b, b'\r' | b'\n'))
                        .unwrap_or(bytes.len() - i);
                    break;
                }
            }
        } else {
            let end = i + bytes[i..]
                .iter()
                .position(|b| *b == delimiter || matches!(b, b'\r' | b'\n'))
                .unwrap_or(bytes.len() - i);
            fields.push(text[i..end].to_owned());
            i = end;
            if bytes.get(i) == Some(&delimiter) {
                i += 1;
            } else {
                break;
            }
        }
    }
    // The line ending.
    match bytes.get(i) {
        Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => i += 2,
        Some(b'\r' | b'\n') => i += 1,
        _ => {}
    }
    match error {
        Some(e) => (Err(e), i),
        None => (Ok(fields), i),
    }
}

/// The position of the quote closing a field whose content starts at `from`.
fn closing_quote(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let quote = i + bytes.get(i..)?.iter().position(|b| *b == b'"')?;
        if bytes.get(quote + 1) == Some(&b'"') {
            i = quote + 2;
        } else {
            return Some(quote);
        }
    }
}

/// A quoted field's content with `""` turned into `"` (sized up front: no reallocation
/// copies of key digits).
fn unquote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for (i, part) in raw.split("\"\"").enumerate() {
        if i > 0 {
            out.push('"');
        }
        out.push_str(part);
    }
    out
}

/// Line breaks in `text`: CRLF, LF or a lone CR each count once.
fn line_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, b)| *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

#[cfg(test)]
mod tests {
    use keyhaven_core::escrow::{DeviceKind, VolumeType};

    use super::super::test_support::{
        ID_A, ID_B, ID_C, KEY_A, KEY_B, KEY_C, assert_no_key_material, device, one, read,
    };
    use super::super::{Defaults, Invalid, NO_DEVICE_IN_ROW};
    use super::csv_records;

    #[test]
    fn entra_csv_with_quotes_and_a_bad_row() {
        let typo = KEY_C.replace("034078", "034079");
        let csv = format!(
            "\u{FEFF}\"Device name\",\"Key ID\",\"Drive type\",\"Recovery key\",\"Backed up\"\r\n\
             \"FIN-LAPTOP-07\",\"{ID_A}\",\"Operating system drive\",\"{KEY_A}\",\"2024-01-02\"\r\n\
             \"Lab \"\"7\"\", bench, 2\",\"{{{}}}\",\"Fixed data drive\",\"{KEY_B}\",\"\"\r\n\
             \r\n\
             \"HR-03\",\"{ID_C}\",\"Operating system drive\",\"{typo}\",\"\"\r\n\
             HR-04,{ID_C},,{KEY_C},extra,field\r\n\
             ,,,,\r\n\
             \"\",\"{ID_C}\",\"\",\"{KEY_C}\",\"\"\r\n",
            ID_B.to_lowercase()
        );
        let found = read("entra.csv", csv.as_bytes(), &Defaults::default());
        let ok: Vec<_> = found
            .candidates
            .iter()
            .map(|c| {
                (
                    c.origin.as_str(),
                    c.meta.device.as_str(),
                    c.meta.key_id.as_str(),
                    c.meta.volume_type,
                    c.secret.as_str(),
                )
            })
            .collect();
        assert_eq!(
            ok,
            [
                (
                    "entra.csv:line 2",
                    "FIN-LAPTOP-07",
                    ID_A,
                    Some(VolumeType::Os),
                    KEY_A
                ),
                (
                    "entra.csv:line 3",
                    "Lab \"7\", bench, 2",
                    ID_B,
                    Some(VolumeType::Fixed),
                    KEY_B
                ),
            ]
        );
        assert!(found.candidates.iter().all(|c| c.meta.source == "csv"));
        let bad: Vec<_> = found
            .invalid
            .iter()
            .map(|i| (i.origin.as_str(), i.reason.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                (
                    "entra.csv:line 5",
                    "recovery key: group 3 is not divisible by 11"
                ),
                (
                    "entra.csv:line 6",
                    "the row has 6 fields but the header has 5 (a comma inside an unquoted \
                     value?)"
                ),
                ("entra.csv:line 8", NO_DEVICE_IN_ROW),
            ]
        );
        assert_no_key_material(&found);
        // With --device the row without a device name is accepted.
        let found = read("entra.csv", csv.as_bytes(), &device("FALLBACK"));
        assert_eq!(found.candidates.len(), 3);
        assert_eq!(found.candidates[2].meta.device, "FALLBACK");
    }

    #[test]
    fn csv_columns_kinds_and_delimiters() {
        let filevault = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX";
        let csv = format!(
            "sep=;\nComputer_Name;Serial-Number;Operating System;Mount point;TYPE;identifier;Password\n\
             mac-1;C02X;macOS 14;/;filevault;mac serial C02X;{filevault}\n\
             pc-2;;;C:;bitlocker;{ID_A};{KEY_A}\n\
             pc-3;;;C:;floppy;{ID_A};{KEY_A}\n"
        );
        let found = read("sheet.txt", csv.as_bytes(), &Defaults::default());
        assert_eq!(found.candidates.len(), 2, "{:?}", found.invalid);
        let mac = &found.candidates[0];
        assert_eq!(mac.origin, "sheet.txt:line 3");
        assert_eq!(mac.meta.kind, DeviceKind::FileVault);
        assert_eq!(
            (
                mac.meta.serial.as_str(),
                mac.meta.os.as_str(),
                mac.meta.volume.as_str()
            ),
            ("C02X", "macOS 14", "/")
        );
        assert_eq!(mac.meta.key_id.as_str(), "mac serial C02X");
        assert_eq!(found.candidates[1].meta.kind, DeviceKind::BitLocker);
        assert_eq!(
            found.invalid,
            [Invalid {
                origin: "sheet.txt:line 5".into(),
                reason: "the kind is not one of bitlocker, filevault, luks, generic".into()
            }]
        );

        let tabs = format!("device\tkey id\tkey\npc\t{ID_B}\t{KEY_B}\n");
        assert_eq!(
            one(&read("t.tsv", tabs.as_bytes(), &Defaults::default()))
                .meta
                .key_id
                .as_str(),
            ID_B
        );
        let no_key = "device,id\npc,1\n";
        let found = read("x.csv", no_key.as_bytes(), &Defaults::default());
        assert!(found.invalid[0].reason.contains("no recovery key column"));
        let bad_id = format!("device,id,key\npc,laptop-7,{KEY_A}\n");
        let found = read("x.csv", bad_id.as_bytes(), &Defaults::default());
        assert!(
            found.invalid[0]
                .reason
                .starts_with("key identifier: a BitLocker key identifier is a GUID"),
            "{:?}",
            found.invalid
        );
    }

    #[test]
    fn csv_reader_follows_rfc_4180() {
        let records = csv_records(
            "a,\"b,c\",\"d\"\"e\"\r\n\"multi\nline\",x\ny,\"z\"junk,w\n\"open,1\n2\n",
            b',',
            1,
        );
        let view: Vec<_> = records
            .iter()
            .map(|r| (r.line, r.fields.as_ref().map(|f| f.to_vec()).ok()))
            .collect();
        let strings = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            view,
            [
                (1, strings(&["a", "b,c", "d\"e"])),
                (2, strings(&["multi\nline", "x"])),
                (4, None),
                (5, None),
            ]
        );
        assert!(
            records[2]
                .fields
                .as_ref()
                .unwrap_err()
                .contains("after a closing quote")
        );
        assert!(
            records[3]
                .fields
                .as_ref()
                .unwrap_err()
                .contains("not closed")
        );
        // Trailing empty field, spaces around quotes, CR-only line ends, no final newline.
        let records = csv_records("a, \"b\" ,\rc,", b',', 1);
        assert_eq!(records[0].fields.as_ref().unwrap().to_vec(), ["a", "b", ""]);
        assert_eq!(records[1].line, 2);
        assert_eq!(records[1].fields.as_ref().unwrap().to_vec(), ["c", ""]);
    }
}
