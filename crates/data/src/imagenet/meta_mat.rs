//! Reads the ILSVRC2012_ID -> wnid table from the devkit's `data/meta.mat`.
//!
//! meta.mat is a MATLAB v5 file holding one struct array, `synsets`, whose fields include
//! `ILSVRC2012_ID` (a number) and `WNID` (a string). The `matfile` crate reads numeric arrays
//! only (no structs, no strings), so this is the small subset of the v5 format that the file
//! needs: little-endian, compressed or plain elements, struct/char/numeric matrices.

use super::error::ImagenetError;
use flate2::read::ZlibDecoder;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

const HEADER_LEN: usize = 128;
const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const MI_UTF8: u32 = 16;
const MI_UTF16: u32 = 17;
const MX_STRUCT: u8 = 2;
const MX_CHAR: u8 = 4;

/// A parsed matrix, reduced to what meta.mat holds.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Struct(Vec<HashMap<String, Value>>),
    Text(String),
    Numbers(Vec<f64>),
    Other,
}

/// The `synsets` table of a devkit meta.mat: ILSVRC2012_ID -> wnid.
pub fn read_synsets(path: &Path) -> Result<HashMap<u32, String>, ImagenetError> {
    let bytes = std::fs::read(path).map_err(|e| ImagenetError::io(path, e))?;
    let fail = |problem: String| ImagenetError::Devkit {
        path: path.to_path_buf(),
        problem: format!("{problem} (expected the devkit's MATLAB v5 meta.mat)"),
    };
    let matrices = parse_file(&bytes).map_err(fail)?;
    let (_, synsets) = matrices
        .into_iter()
        .find(|(name, _)| name == "synsets")
        .ok_or_else(|| fail("no `synsets` variable".into()))?;
    let Value::Struct(records) = synsets else {
        return Err(fail("`synsets` is not a struct array".into()));
    };
    let mut table = HashMap::new();
    for record in &records {
        match (record.get("ILSVRC2012_ID"), record.get("WNID")) {
            (Some(Value::Numbers(id)), Some(Value::Text(wnid))) if id.len() == 1 => {
                table.insert(id[0] as u32, wnid.clone());
            }
            _ => {
                return Err(fail(
                    "a synset lacks a numeric ILSVRC2012_ID or a WNID".into(),
                ))
            }
        }
    }
    Ok(table)
}

/// Every top-level variable: (name, value).
fn parse_file(bytes: &[u8]) -> Result<Vec<(String, Value)>, String> {
    if bytes.len() < HEADER_LEN || &bytes[126..128] != b"IM" {
        return Err("not a little-endian MATLAB v5 file".into());
    }
    let mut reader = Reader::new(&bytes[HEADER_LEN..]);
    let mut variables = Vec::new();
    while !reader.is_empty() {
        let (kind, data) = reader.element()?;
        let matrix = match kind {
            MI_COMPRESSED => {
                let mut inflated = Vec::new();
                ZlibDecoder::new(data)
                    .read_to_end(&mut inflated)
                    .map_err(|e| format!("compressed element: {e}"))?;
                let (kind, data) = Reader::new(&inflated).element()?;
                if kind != MI_MATRIX {
                    continue;
                }
                parse_matrix(data)?
            }
            MI_MATRIX => parse_matrix(data)?,
            _ => continue,
        };
        variables.push(matrix);
    }
    Ok(variables)
}

/// A miMATRIX element's body: flags, dimensions, name, then the class's data.
fn parse_matrix(body: &[u8]) -> Result<(String, Value), String> {
    if body.is_empty() {
        return Ok((String::new(), Value::Other));
    }
    let mut reader = Reader::new(body);
    let (_, flags) = reader.element()?;
    let class = *flags.first().ok_or("matrix without flags")?;
    let (_, dims) = reader.element()?;
    let count: usize = dims
        .chunks_exact(4)
        .map(|d| i32::from_le_bytes([d[0], d[1], d[2], d[3]]).max(0) as usize)
        .product();
    let (_, name) = reader.element()?;
    let name = String::from_utf8_lossy(name).into_owned();
    let value = match class {
        // An empty matrix (e.g. a leaf synset's `children`) may end after its name.
        MX_CHAR if reader.is_empty() => Value::Text(String::new()),
        6..=15 if reader.is_empty() => Value::Numbers(Vec::new()),
        MX_STRUCT => Value::Struct(parse_struct(&mut reader, count)?),
        MX_CHAR => {
            let (kind, data) = reader.element()?;
            Value::Text(decode_text(kind, data)?)
        }
        6..=15 => {
            let (kind, data) = reader.element()?;
            Value::Numbers(decode_numbers(kind, data)?)
        }
        _ => Value::Other,
    };
    Ok((name, value))
}

fn parse_struct(
    reader: &mut Reader<'_>,
    count: usize,
) -> Result<Vec<HashMap<String, Value>>, String> {
    let (_, name_len) = reader.element()?;
    let name_len = name_len
        .get(..4)
        .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .filter(|&n| n > 0)
        .ok_or("struct without a field name length")?;
    let (_, names) = reader.element()?;
    let fields: Vec<String> = names
        .chunks(name_len)
        .map(|n| {
            String::from_utf8_lossy(n)
                .trim_end_matches('\0')
                .to_string()
        })
        .collect();
    let mut records = Vec::with_capacity(count);
    for _ in 0..count {
        let mut record = HashMap::new();
        for field in &fields {
            let (kind, data) = reader.element()?;
            if kind != MI_MATRIX {
                return Err(format!("struct field `{field}` is not a matrix"));
            }
            record.insert(field.clone(), parse_matrix(data)?.1);
        }
        records.push(record);
    }
    Ok(records)
}

fn decode_text(kind: u32, data: &[u8]) -> Result<String, String> {
    match kind {
        MI_UINT16 | MI_UTF16 => {
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            Ok(String::from_utf16_lossy(&units))
        }
        MI_UINT8 | MI_INT8 | MI_UTF8 => Ok(String::from_utf8_lossy(data).into_owned()),
        other => Err(format!("text stored as unsupported type {other}")),
    }
}

fn decode_numbers(kind: u32, data: &[u8]) -> Result<Vec<f64>, String> {
    fn each<const N: usize>(data: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
        data.chunks_exact(N)
            .map(|c| f(c.try_into().expect("chunk of N bytes")))
            .collect()
    }
    Ok(match kind {
        MI_INT8 => data.iter().map(|&b| f64::from(b as i8)).collect(),
        MI_UINT8 => data.iter().map(|&b| f64::from(b)).collect(),
        MI_INT16 => each(data, |b| f64::from(i16::from_le_bytes(b))),
        MI_UINT16 => each(data, |b| f64::from(u16::from_le_bytes(b))),
        MI_INT32 => each(data, |b| f64::from(i32::from_le_bytes(b))),
        MI_UINT32 => each(data, |b| f64::from(u32::from_le_bytes(b))),
        MI_SINGLE => each(data, |b| f64::from(f32::from_le_bytes(b))),
        MI_DOUBLE => each(data, f64::from_le_bytes),
        other => return Err(format!("numbers stored as unsupported type {other}")),
    })
}

/// Walks data elements: 8-byte tag (type, size) then data padded to 8 bytes, or the "small"
/// form with size and type packed in 4 bytes and data in the next 4.
#[derive(Debug)]
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn is_empty(&self) -> bool {
        self.bytes.len() < 8
    }

    fn element(&mut self) -> Result<(u32, &'a [u8]), String> {
        let word = |i: usize| {
            self.bytes
                .get(i..i + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or_else(|| "file ends inside an element tag".to_string())
        };
        let first = word(0)?;
        if first >> 16 != 0 {
            let (kind, len) = (first & 0xFFFF, (first >> 16) as usize);
            let data = self
                .bytes
                .get(4..4 + len.min(4))
                .ok_or("short small element")?;
            self.bytes = self.bytes.get(8..).unwrap_or(&[]);
            return Ok((kind, data));
        }
        let len = word(4)? as usize;
        let data = self
            .bytes
            .get(8..8 + len)
            .ok_or_else(|| format!("element of {len} bytes runs past the end of the file"))?;
        // Compressed elements are not padded; everything else is padded to 8 bytes.
        let padded = if first == MI_COMPRESSED {
            len
        } else {
            len.div_ceil(8) * 8
        };
        self.bytes = self.bytes.get(8 + padded..).unwrap_or(&[]);
        Ok((first, data))
    }
}
