//! Format 4's body: the postcard bytes of the trace, DEFLATE-compressed (RFC 1951, no
//! zlib or gzip wrapper), after their length as a u64 little-endian. A long recording
//! repeats itself (the same store to every page, the same fault on every 2 MiB); with steps
//! as differences and source locations as indices (`wire.rs`) the repetition is byte for
//! byte, which DEFLATE finds.

/// Compression level on miniz's scale (0 to 10): 1, the fastest that compresses (4.0
/// bytes an event on the million-event trace; higher levels were not measured).
const LEVEL: u8 = 1;

/// No DEFLATE stream expands its input more than about 1032-fold (a run of one byte), so a
/// claimed length beyond that is not what the stream holds, and no reader allocates for it.
const MAX_RATIO: u64 = 1032;

pub(super) fn pack(raw: &[u8]) -> Vec<u8> {
    let mut body = (raw.len() as u64).to_le_bytes().to_vec();
    body.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(raw, LEVEL));
    body
}

/// The postcard bytes of a format 4 body, or why there are none.
pub(super) fn unpack(body: &[u8]) -> Result<Vec<u8>, String> {
    let Some((len, stream)) = body.split_first_chunk::<8>() else {
        return Err(format!("the body has {} bytes, fewer than the 8 of its uncompressed length", body.len()));
    };
    let len = u64::from_le_bytes(*len);
    let cap = (stream.len() as u64).saturating_mul(MAX_RATIO).min(crate::input::MAX_TRACE_BYTES);
    if len > cap {
        return Err(format!(
            "the body claims {len} bytes uncompressed, more than its {} compressed bytes can hold \
             (at most {cap})",
            stream.len()
        ));
    }
    let limit = usize::try_from(len).map_err(|_| format!("the body claims {len} bytes uncompressed"))?;
    let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(stream, limit)
        .map_err(|e| format!("the compressed body does not inflate to the {len} bytes it claims: {e}"))?;
    if raw.len() != limit {
        return Err(format!("the compressed body inflates to {} bytes, not the {len} it claims", raw.len()));
    }
    Ok(raw)
}
