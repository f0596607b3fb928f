//! The report files of `docs/ehrm-contract.md` ("The reconciliation report"): `report.json` (a list of rows) and `report.csv`
//! (the same rows; UTF-8 with a byte-order mark so spreadsheets read it as UTF-8; headers in
//! Indonesian).

use super::Discrepancy;

/// Column headers in Indonesian, in the order of the contract's fields (English names in the
/// README): data_set, kind, nip, unor_id, field, ehrm_value, bkn_value, authority, action,
/// priority, then note.
pub const CSV_HEADERS: [&str; 11] = [
    "Set Data",
    "Jenis Selisih",
    "NIP",
    "ID Unor",
    "Kolom",
    "Nilai eHRM",
    "Nilai BKN",
    "Sumber Berwenang",
    "Tindakan",
    "Prioritas",
    "Catatan",
];

pub const BOM: &str = "\u{feff}";

pub fn csv_cell(v: &str) -> String {
    // A leading = + - @ (or a tab or CR before one) would be read as a formula by
    // spreadsheets: neutralise it.
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if v.contains([',', '"', '\n', '\r', ';']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// The CSV file, rows in the given order, CRLF line ends.
pub fn to_csv(rows: &[Discrepancy]) -> String {
    let mut out = String::from(BOM);
    out.push_str(&CSV_HEADERS.join(","));
    out.push_str("\r\n");
    for r in rows {
        let cells = [
            r.data_set.as_str(),
            r.kind.as_str(),
            r.nip.as_deref().unwrap_or(""),
            r.unor_id.as_deref().unwrap_or(""),
            r.field.as_deref().unwrap_or(""),
            r.ehrm_value.as_deref().unwrap_or(""),
            r.bkn_value.as_deref().unwrap_or(""),
            r.authority.as_str(),
            r.action.as_str(),
            r.priority.as_str(),
            r.note.as_deref().unwrap_or(""),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The JSON file: a list of rows with the contract's field names (and only those).
pub fn to_json(rows: &[Discrepancy]) -> Result<Vec<u8>, serde_json::Error> {
    let contract_rows: Vec<Discrepancy> = rows
        .iter()
        .map(|r| Discrepancy {
            unit: None,
            ..r.clone()
        })
        .collect();
    serde_json::to_vec_pretty(&contract_rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::{Action, Authority, DataSet, Kind, Priority};

    #[test]
    fn csv_has_bom_headers_and_quoted_cells() {
        let row = Discrepancy {
            data_set: DataSet::Pegawai,
            kind: Kind::Differs,
            nip: Some("198507142010011002".into()),
            unor_id: None,
            field: Some("nama".into()),
            ehrm_value: Some("SANTOSO, BUDI".into()),
            bkn_value: Some("=HYPERLINK(\"x\")".into()),
            authority: Authority::Bkn,
            action: Action::SentToEhrm,
            priority: Priority::Pensiun,
            note: None,
            unit: None,
        };
        let csv = to_csv(std::slice::from_ref(&row));
        assert!(csv.starts_with('\u{feff}'));
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADERS.join(","));
        assert_eq!(
            lines[1],
            "pegawai,differs,198507142010011002,,nama,\"SANTOSO, BUDI\",\"'=HYPERLINK(\"\"x\"\")\",bkn,sent_to_ehrm,pensiun,"
        );
        for hostile in ["\t=1+1", "\r=1+1", "+62", "-1", "@SUM(A1)"] {
            assert!(
                csv_cell(hostile).trim_start_matches('"').starts_with('\''),
                "{hostile:?}"
            );
        }
        let json: serde_json::Value =
            serde_json::from_slice(&to_json(&[row]).expect("json")).expect("parse");
        assert_eq!(json[0]["data_set"], "pegawai");
        assert_eq!(json[0]["unor_id"], serde_json::Value::Null);
        assert_eq!(json[0]["action"], "sent_to_ehrm");
    }
}
