//! Decoding by content, not extension: ImageNet's training set has a PNG and CMYK JPEGs named
//! `.JPEG`.
//!
//! Decoder choice, measured with `taskset -c 0 cargo bench -p deepskip-data --bench
//! imagenet_decode` (one core of a shared 2-core machine) on generated 500x375 quality-90
//! JPEGs, images/s: zune-jpeg 731, `image` (zune-jpeg inside, plus a copy) 635, jpeg-decoder
//! 538 at full size, 567 at 1/2 and 854 at 1/4 size (DCT scaling). zune-jpeg has no DCT
//! scaling, so: zune-jpeg at full size, jpeg-decoder when a reduction of 4 or 8 is allowed
//! (1/2 does not pay), `image` for everything that is not a JPEG.

use image::RgbImage;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

/// Why one image could not be decoded (the loader skips it and reports its path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// Below this, jpeg-decoder's scaled decode is slower than zune-jpeg's full one (measured).
const MIN_PAYING_REDUCTION: u32 = 4;

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];

fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(JPEG_MAGIC)
}

/// The width and height of an encoded image, read from its header only.
pub fn probe_dimensions(bytes: &[u8]) -> Result<(u32, u32), DecodeError> {
    if is_jpeg(bytes) {
        let mut decoder = zune_decoder(bytes);
        decoder
            .decode_headers()
            .map_err(|e| DecodeError(format!("JPEG header: {e:?}")))?;
        let (w, h) = decoder
            .dimensions()
            .ok_or_else(|| DecodeError("JPEG header without dimensions".into()))?;
        return Ok((w as u32, h as u32));
    }
    image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DecodeError(e.to_string()))?
        .into_dimensions()
        .map_err(|e| DecodeError(e.to_string()))
}

/// Decodes any supported image to 8-bit RGB.
///
/// `max_reduction` (1, 2, 4 or 8) allows a JPEG to come back up to that many times smaller on
/// each side (DCT scaling: less work for images that will be shrunk anyway); the caller maps
/// its crop by the returned size. Other formats always come back at full size.
pub fn decode_rgb(bytes: &[u8], max_reduction: u32) -> Result<RgbImage, DecodeError> {
    if is_jpeg(bytes) {
        if max_reduction >= MIN_PAYING_REDUCTION {
            if let Some(image) = decode_jpeg_reduced(bytes, max_reduction)? {
                return Ok(image);
            }
        }
        return decode_jpeg_full(bytes);
    }
    image::load_from_memory(bytes)
        .map(|image| image.to_rgb8())
        .map_err(|e| DecodeError(e.to_string()))
}

fn zune_decoder(bytes: &[u8]) -> zune_jpeg::JpegDecoder<ZCursor<&[u8]>> {
    // Strict: a truncated file is an error, not a half-grey image silently trained on.
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .set_strict_mode(true);
    zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options)
}

/// Full-size decode with zune-jpeg (YCbCr, grey, CMYK and YCCK all come out as RGB).
fn decode_jpeg_full(bytes: &[u8]) -> Result<RgbImage, DecodeError> {
    let mut decoder = zune_decoder(bytes);
    let pixels = decoder
        .decode()
        .map_err(|e| DecodeError(format!("JPEG: {e:?}")))?;
    let (w, h) = decoder
        .dimensions()
        .ok_or_else(|| DecodeError("JPEG without dimensions".into()))?;
    RgbImage::from_raw(w as u32, h as u32, pixels)
        .ok_or_else(|| DecodeError(format!("JPEG: decoder returned a short buffer for {w}x{h}")))
}

/// Reduced-size decode with jpeg-decoder's DCT scaling; `None` when no reduction applies or
/// the colour model is one that zune-jpeg converts better (CMYK).
fn decode_jpeg_reduced(bytes: &[u8], max_reduction: u32) -> Result<Option<RgbImage>, DecodeError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder
        .read_info()
        .map_err(|e| DecodeError(format!("JPEG header: {e}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| DecodeError("JPEG header without dimensions".into()))?;
    let reduction = max_reduction.min(8) as u16;
    let wanted = |side: u16| side.div_ceil(reduction);
    let (w, h) = decoder
        .scale(wanted(info.width), wanted(info.height))
        .map_err(|e| DecodeError(format!("JPEG scaling: {e}")))?;
    if (w, h) == (info.width, info.height) {
        return Ok(None);
    }
    let pixels = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => decoder.decode(),
        jpeg_decoder::PixelFormat::L8 => decoder
            .decode()
            .map(|grey| grey.iter().flat_map(|&v| [v, v, v]).collect()),
        _ => return Ok(None),
    }
    .map_err(|e| DecodeError(format!("JPEG: {e}")))?;
    RgbImage::from_raw(u32::from(w), u32::from(h), pixels)
        .map(Some)
        .ok_or_else(|| DecodeError(format!("JPEG: decoder returned a short buffer for {w}x{h}")))
}
